{#- SQL expression: `part` / `whole` as a double, null when the whole is 0 (or either is null). -#}
{% macro share_of(part, whole) -%}
    cast({{ part }} as {{ tiering.type_double() }}) / nullif(cast({{ whole }} as {{ tiering.type_double() }}), 0)
{%- endmacro %}
