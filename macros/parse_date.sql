{#- A date from text in one of `formats` (the var date_formats), or null when the text
    matches none of them or names a day that does not exist (2023-02-30). A time after the date
    (' 14:22:05' or 'T14:22:05') is ignored. The day is checked with integer arithmetic before the
    cast, so no engine ever casts an impossible date: no try_cast, no exception handler. -#}
{% macro parse_date(expression, formats=['YYYY-MM-DD']) -%}
    {%- set date_text = dbt.split_part(dbt.split_part(expression, "' '", 1), "'T'", 1) -%}
    case
    {%- for date_format in formats %}
        {%- set parsed = tiering.date_format_parts(date_format) %}
        {%- set pattern = [] %}
        {%- set texts = {} %}
        {%- for part in parsed.parts %}
            {%- if parsed.separator == '' %}
                {%- do pattern.append('[0-9]{' ~ part | length ~ '}') %}
                {%- do texts.update({part: 'substr(' ~ date_text ~ ', ' ~ [1, 5, 7][loop.index0] ~ ', '
                    ~ part | length ~ ')'}) %}
            {%- else %}
                {%- do pattern.append('[0-9]{4}' if part == 'YYYY' else '[0-9]{1,2}') %}
                {%- do texts.update({part: dbt.split_part(date_text, "'" ~ parsed.separator ~ "'", loop.index)}) %}
            {%- endif %}
        {%- endfor %}
        {%- set separator_pattern = '[' ~ parsed.separator ~ ']' if parsed.separator else '' %}
        when {{ tiering.regexp_full_match(expression, pattern | join(separator_pattern) ~ '([ T].*)?') }}
            then {{ tiering.date_from_parts(texts['YYYY'], texts['MM'], texts['DD']) }}
    {%- endfor %}
    end
{%- endmacro %}

{#- The date of year, month and day given as digit texts (year 4 digits, month and day 1 or 2),
    or null when that day does not exist. -#}
{% macro date_from_parts(year_text, month_text, day_text) -%}
    {%- set year = 'cast(' ~ year_text ~ ' as ' ~ dbt.type_int() ~ ')' -%}
    {%- set month = 'cast(' ~ month_text ~ ' as ' ~ dbt.type_int() ~ ')' -%}
    {%- set day = 'cast(' ~ day_text ~ ' as ' ~ dbt.type_int() ~ ')' -%}
    {%- set is_leap_year = '(mod(' ~ year ~ ', 4) = 0 and (mod(' ~ year ~ ', 100) != 0 or mod(' ~ year ~ ', 400) = 0))' -%}
    case
        when {{ year }} >= 1
            and {{ month }} between 1 and 12
            and {{ day }} between 1 and case
                when {{ month }} in (4, 6, 9, 11) then 30
                when {{ month }} = 2 and {{ is_leap_year }} then 29
                when {{ month }} = 2 then 28
                else 31
            end
            then cast({{ dbt.concat([year_text, "'-'", "lpad(" ~ month_text ~ ", 2, '0')", "'-'",
                "lpad(" ~ day_text ~ ", 2, '0')"]) }} as date)
    end
{%- endmacro %}
