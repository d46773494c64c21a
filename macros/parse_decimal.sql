{#- A number from (already trimmed) text, or null when it is not a plain decimal literal
    (optional sign, up to 18 integer digits, optional fraction): '1e3', '1,000', '$5' and 'NaN'
    are not numbers, on every engine alike. -#}
{% macro parse_decimal(expression) -%}
    case
        when {{ tiering.regexp_full_match(expression, '[+-]?([0-9]{1,18}([.][0-9]*)?|[.][0-9]+)') }}
            then cast({{ expression }} as {{ dbt.type_numeric() }})
    end
{%- endmacro %}
