{#- A date from text in one of `formats` (the var date_formats), or null when the text
    matches none of them or names a day that does not exist (2023-02-30, year 0000). A time after
    the date (' 14:22:05', 'T14:22:05+08:00'; time_suffix_pattern) is ignored: the date is the
    day as written, in the writer's zone. Which texts are dates is decided by one
    regular expression per format (date_format_pattern), alike on every engine; the default
    implementation then checks the day with integer arithmetic before the cast, so no engine ever
    casts an impossible date (no try_cast, no exception handler); DuckDB's uses try_strptime,
    which gives the same dates several times faster. -#}
{% macro parse_date(expression, formats=['YYYY-MM-DD']) -%}
    {{- adapter.dispatch('parse_date', 'tiering')(expression, formats) -}}
{%- endmacro %}

{% macro default__parse_date(expression, formats) -%}
    {%- set date_text = dbt.split_part(dbt.split_part(expression, "' '", 1), "'T'", 1) -%}
    case
    {%- for date_format in formats %}
        {%- set parsed = tiering.date_format_parts(date_format) %}
        {%- set texts = {} %}
        {%- for part in parsed.parts %}
            {%- if parsed.separator == '' %}
                {%- do texts.update({part: 'substr(' ~ date_text ~ ', ' ~ [1, 5, 7][loop.index0] ~ ', '
                    ~ part | length ~ ')'}) %}
            {%- else %}
                {%- do texts.update({part: dbt.split_part(date_text, "'" ~ parsed.separator ~ "'", loop.index)}) %}
            {%- endif %}
        {%- endfor %}
        when {{ tiering.regexp_full_match(expression, tiering.date_format_pattern(parsed)) }}
            then {{ tiering.date_from_parts(texts['YYYY'], texts['MM'], texts['DD']) }}
    {%- endfor %}
    end
{%- endmacro %}

{% macro duckdb__parse_date(expression, formats) -%}
    {%- set strptime_codes = {'YYYY': '%Y', 'MM': '%m', 'DD': '%d'} -%}
    case
    {%- for date_format in formats %}
        {%- set parsed = tiering.date_format_parts(date_format) %}
        {%- set codes = [] %}
        {%- for part in parsed.parts %}
            {%- do codes.append(strptime_codes[part]) %}
        {%- endfor %}
        when {{ tiering.regexp_full_match(expression, tiering.date_format_pattern(parsed)) }}
            then cast(try_strptime(regexp_extract({{ expression }}, '^[^ T]+'), '{{ codes | join(parsed.separator) }}') as date)
    {%- endfor %}
    end
{%- endmacro %}

{#- The regular expression of a date in the format `parsed` (date_format_parts): 4-digit years
    from 0001, months and days of 1 or 2 digits (exactly 2 without separators), then optionally a
    time. -#}
{% macro date_format_pattern(parsed) %}
    {%- set year_pattern = '([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])' -%}
    {%- set pattern = [] -%}
    {%- for part in parsed.parts -%}
        {%- if part == 'YYYY' -%}
            {%- do pattern.append(year_pattern) -%}
        {%- else -%}
            {%- do pattern.append('[0-9]{2}' if parsed.separator == '' else '[0-9]{1,2}') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set separator_pattern = '[' ~ parsed.separator ~ ']' if parsed.separator else '' -%}
    {{- return(pattern | join(separator_pattern) ~ tiering.time_suffix_pattern()) -}}
{% endmacro %}

{#- What may follow a date: nothing, or a time (' 14:22', 'T14:22:05.123', ' 2:30 PM'), optionally
    with a zone ('Z', ' UTC', '+08:00', '-0500'). Anything else ('2026-01-05 garbage') makes the
    text no date. -#}
{% macro time_suffix_pattern() %}
    {{- return('([ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?( ?[AaPp][Mm])?'
        ~ '( ?(Z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?))?)?') -}}
{% endmacro %}

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
