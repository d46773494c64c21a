{#- A list of SQL text expressions, one per column, each `<length>:<value>` (or '-' when null),
    for dbt.concat: a fingerprint of a row that no other row can share by accident, since the
    lengths keep the boundaries between values. -#}
{% macro length_prefixed(columns) %}
    {%- set expressions = [] -%}
    {%- for column in columns -%}
        {%- do expressions.append("coalesce(" ~ dbt.concat([
            dbt.cast('length(' ~ column ~ ')', dbt.type_string()), "':'", column]) ~ ", '-')") -%}
    {%- endfor -%}
    {{- return(expressions) -}}
{% endmacro %}
