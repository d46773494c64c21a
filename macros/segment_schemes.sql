{#- The segmentation schemes that classify customers: each is a column of customer_tiers named
    after it, and the `scheme` of its rows in the seed tier_strategy_texts. A new scheme is added
    here (and in the seed). -#}
{% macro segment_schemes() %}
    {{- return(['pyramid_tier', 'rfm_segment', 'lifecycle_stage', 'value_loyalty_grade', 'b2b_segment']) -}}
{% endmacro %}
