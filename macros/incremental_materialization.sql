{#- The materialization of the models that load and compute incrementally (config materialized):
    `incremental`, or `table` where the default table format cannot delete rows, which their
    updates need (delete+insert, and the pre-hooks that take back a replaced file's rows). On
    Spark, Parquet tables cannot: every run there computes these models in full, with the same
    result (README, "Engines"). -#}
{% macro incremental_materialization() %}
    {{- return(adapter.dispatch('incremental_materialization', 'tiering')()) -}}
{% endmacro %}

{% macro default__incremental_materialization() %}
    {{- return('incremental') -}}
{% endmacro %}

{% macro spark__incremental_materialization() %}
    {{- return('table') -}}
{% endmacro %}
