{#- An 8-byte float. dbt.type_float() is a 4-byte float on DuckDB and Spark, too coarse for shares. -#}
{% macro type_double() %}
    {{- return(adapter.dispatch('type_double', 'tiering')()) -}}
{% endmacro %}

{% macro default__type_double() %}double precision{% endmacro %}

{% macro bigquery__type_double() %}float64{% endmacro %}

{% macro spark__type_double() %}double{% endmacro %}

{#- An exact integer of up to 38 digits, for sums of products that overflow a bigint (sums of
    squared ranks over millions of customers). -#}
{% macro type_exact_integer() %}
    {{- return(adapter.dispatch('type_exact_integer', 'tiering')()) -}}
{% endmacro %}

{% macro default__type_exact_integer() %}numeric(38, 0){% endmacro %}

{% macro bigquery__type_exact_integer() %}bignumeric{% endmacro %}

{#- The string type the marts' contracts declare (`data_type: varchar`). The new rows of an
    incremental mart must have the table's types, or on_schema_change: fail stops the run:
    dbt.type_string() is `text` on PostgreSQL, and the contract's column `character varying`. -#}
{% macro type_contract_string() %}
    {{- return(adapter.dispatch('type_contract_string', 'tiering')()) -}}
{% endmacro %}

{% macro default__type_contract_string() %}
    {{- return(dbt.type_string()) -}}
{% endmacro %}

{% macro postgres__type_contract_string() %}varchar{% endmacro %}

{#- Redshift takes PostgreSQL's macros by default; its unbounded string is its own. -#}
{% macro redshift__type_contract_string() %}
    {{- return(dbt.type_string()) -}}
{% endmacro %}
