{#- on-run-start, in commands that build models: say what this engine does not build or does
    differently, so that a missing table is explained in the log rather than by its absence. The
    parts are disabled by configuration (dbt_project.yml, incremental_materialization); this only
    reports them (README, "Engines"). -#}
{% macro engine_notice() %}
    {%- if execute and tiering.builds_models() -%}
        {%- set notes = [] -%}
        {%- if not tiering.python_models_enabled() -%}
            {%- do notes.append("the fitted value models and the K-means clusters are dbt Python models, "
                ~ "built on DuckDB only (clv_model_parameters, customer_value_predictions, "
                ~ "cluster_k_selection, cluster_profiles, customer_clusters are not built)") -%}
        {%- endif -%}
        {%- if target.type == 'spark' -%}
            {%- do notes.append("snapshots need a table format that updates rows (Delta, Iceberg, "
                ~ "Hudi): customer_tiers_snapshot is not built") -%}
        {%- endif -%}
        {%- if tiering.incremental_materialization() == 'table' -%}
            {%- do notes.append("Parquet tables cannot delete rows: the incremental models are "
                ~ "computed in full on every run, with the same result") -%}
        {%- endif -%}
        {%- if target.type not in ['duckdb', 'postgres'] -%}
            {%- do notes.append("the keyed email hash is implemented for DuckDB and PostgreSQL only"
                ~ (" (Spark SQL has no HMAC)" if target.type == 'spark' else "")
                ~ ": stg_customers.email_hash is null") -%}
        {%- endif -%}
        {%- for note in notes -%}
            {{ log("On " ~ target.type ~ ": " ~ note ~ " (README, 'Engines').", info=true) }}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
