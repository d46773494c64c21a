{#- An 8-byte float. dbt.type_float() is a 4-byte float on DuckDB and Spark, too coarse for shares. -#}
{% macro type_double() %}
    {{- return(adapter.dispatch('type_double', 'tiering')()) -}}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro bigquery__type_double() %}float64{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}
