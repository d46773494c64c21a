{#- A date from text that starts with an ISO date (YYYY-MM-DD, optionally followed by a time),
    or null when it does not or when that date does not exist. The time part is ignored. -#}
{% macro parse_date(expression) -%}
    case
        when {{ tiering.regexp_full_match(expression, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?') }}
            then {{ tiering.try_cast_date('substr(' ~ expression ~ ', 1, 10)') }}
    end
{%- endmacro %}
