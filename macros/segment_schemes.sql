{#- The segmentation schemes that classify customers: each is a column of customer_tiers named
    after it, and the `scheme` of its rows in the seed tier_strategy_texts. A new scheme is added
    here (and in the seed). -#}
{% macro segment_schemes() %}
    {{- return(['pyramid_tier', 'rfm_segment', 'lifecycle_stage', 'value_loyalty_grade', 'b2b_segment']) -}}
{% endmacro %}

{#- The value schemes (docs/value.md), whose segments are rows of int_value_scheme_segments:
    CLV bands (every engine) and K-means clusters (where dbt Python models run).
    segment_evaluation and tier_strategies cover them like the schemes of customer_tiers. -#}
{% macro value_schemes() %}
    {{- return(['clv_band', 'cluster'] if tiering.python_models_enabled() else ['clv_band']) -}}
{% endmacro %}

{#- True where this project's dbt Python models run (the fitted value models): DuckDB, which runs
    them in dbt's own process. Keep in step with `+enabled` of the `fitted` folders in
    dbt_project.yml, which cannot call a macro. -#}
{% macro python_models_enabled() %}
    {{- return(target.type == 'duckdb') -}}
{% endmacro %}
