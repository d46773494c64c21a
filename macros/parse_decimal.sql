{#- A number from (already trimmed) text written with `decimal_separator` and, optionally,
    `thousands_separator` between groups of three digits (the vars of those names), or
    null when the text is not such a number: an optional sign, up to 18 integer digits and an
    optional fraction. '1e3', '$5' and 'NaN' are never numbers, on every engine alike. -#}
{% macro parse_decimal(expression, decimal_separator='.', thousands_separator=none) -%}
    {%- set decimal = decimal_separator -%}
    {%- set thousands = thousands_separator -%}
    {%- set decimal_pattern = '[' ~ decimal ~ ']' -%}
    {%- set integer_pattern = '[0-9]{1,18}' -%}
    {%- if thousands is not none -%}
        {%- set integer_pattern = '[0-9]{1,3}([' ~ thousands ~ '][0-9]{3}){1,5}|' ~ integer_pattern -%}
    {%- endif -%}
    {%- set pattern = '[+-]?((' ~ integer_pattern ~ ')(' ~ decimal_pattern ~ '[0-9]*)?|' ~ decimal_pattern ~ '[0-9]+)' -%}
    {%- set normalized = expression -%}
    {%- if thousands is not none -%}
        {%- set normalized = 'replace(' ~ normalized ~ ', ' ~ tiering.string_literal(thousands) ~ ", '')" -%}
    {%- endif -%}
    {%- if decimal != '.' -%}
        {%- set normalized = 'replace(' ~ normalized ~ ', ' ~ tiering.string_literal(decimal) ~ ", '.')" -%}
    {%- endif -%}
    case
        when {{ tiering.regexp_full_match(expression, pattern | replace("'", "''")) }}
            then cast({{ normalized }} as {{ dbt.type_numeric() }})
    end
{%- endmacro %}

{#- Text as an SQL string literal, quotes doubled. -#}
{% macro string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}
