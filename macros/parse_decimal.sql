{#- A number from (already trimmed) text written with `decimal_separator` and, optionally,
    `thousands_separator` between groups of three digits (the vars of those names), or
    null when the text is not such a number: an optional sign, up to 18 integer digits and an
    optional fraction. '1e3', '$5' and 'NaN' are never numbers, on every engine alike. -#}
{% macro parse_decimal(expression, decimal_separator='.', thousands_separator=none) -%}
    {%- set decimal = decimal_separator -%}
    {%- set thousands = thousands_separator -%}
    {%- set normalized = expression -%}
    {%- if thousands is not none -%}
        {%- set normalized = 'replace(' ~ normalized ~ ', ' ~ tiering.string_literal(thousands) ~ ", '')" -%}
    {%- endif -%}
    {%- if decimal != '.' -%}
        {%- set normalized = 'replace(' ~ normalized ~ ', ' ~ tiering.string_literal(decimal) ~ ", '.')" -%}
    {%- endif -%}
    case
        when {{ tiering.is_decimal_text(expression, decimal, thousands) }}
            then cast({{ normalized }} as {{ dbt.type_numeric() }})
    end
{%- endmacro %}

{#- True when the (trimmed) text is a decimal number written with the separators: an optional
    sign, up to `max_integer_digits` integer digits (none: any number; 18 is what an amount can
    hold) and an optional fraction. -#}
{% macro is_decimal_text(expression, decimal_separator='.', thousands_separator=none, max_integer_digits=18) -%}
    {%- set decimal_pattern = '[' ~ decimal_separator ~ ']' -%}
    {%- set digits = '{1,' ~ max_integer_digits ~ '}' if max_integer_digits is not none else '+' -%}
    {%- set integer_pattern = '[0-9]' ~ digits -%}
    {%- if thousands_separator is not none -%}
        {%- set groups = '{1,5}' if max_integer_digits is not none else '+' -%}
        {%- set integer_pattern = '[0-9]{1,3}([' ~ thousands_separator ~ '][0-9]{3})' ~ groups ~ '|' ~ integer_pattern -%}
    {%- endif -%}
    {%- set pattern = '[+-]?((' ~ integer_pattern ~ ')(' ~ decimal_pattern ~ '[0-9]*)?|' ~ decimal_pattern ~ '[0-9]+)' -%}
    {{ tiering.regexp_full_match(expression, pattern | replace("'", "''")) }}
{%- endmacro %}

{#- Text as an SQL string literal: quotes doubled, or on Spark (and Databricks), whose literals
    take backslash escapes and read '' as the end of one literal and the start of the next,
    quotes and backslashes escaped with a backslash. -#}
{% macro string_literal(text) -%}
    {{- return(adapter.dispatch('string_literal', 'tiering')(text)) -}}
{%- endmacro %}

{% macro default__string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
