{#- A date constant from YYYY-MM-DD text, the same on every engine. `var_name` names the var the
    value came from, for the error message when it is not a date. -#}
{% macro date_literal(value, var_name) -%}
    cast('{{ tiering.parse_date_var(var_name, value) }}' as date)
{%- endmacro %}
