{#- Text ordered by its bytes (code points), whatever the database's collation: the tie-break of
    every window and of every "first row" rule, so that engines and clusters with different
    collations (en_US, ICU) pick the same row. -#}
{% macro binary_text(expression) %}
    {{- return(adapter.dispatch('binary_text', 'tiering')(expression)) -}}
{% endmacro %}

{% macro default__binary_text(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__binary_text(expression) -%}
    ({{ expression }} collate "C")
{%- endmacro %}
