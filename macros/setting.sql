{#- The value of a project var, checked. Models and tests read vars through this macro, so a bad
    value stops the run - already when dbt parses the project, and again in the on-run-start hook
    validate_vars() - with a message that names the var and the fix, before any table is
    replaced. -#}
{% macro setting(name) %}
    {%- set value = var(name) -%}
    {%- if name in ['as_of_date', 'earliest_valid_date'] -%}
        {%- if value is not none or name != 'as_of_date' -%}
            {%- do tiering.parse_date_var(name, value) -%}
        {%- endif -%}
    {%- elif name == 'rfm_window_days' -%}
        {%- if value is not number or value is boolean or value != value | int or value < 1 -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of days of at least 1, e.g. 365') }}
        {%- endif -%}
    {%- elif name == 'pyramid_basis' -%}
        {%- if value not in ['revenue', 'profit'] -%}
            {{ tiering.raise_var_error(name, value, "'revenue' or 'profit'") }}
        {%- endif -%}
    {%- elif name == 'pyramid_cut_points' -%}
        {%- do tiering.check_cut_points(name, value, [0.01, 0.05, 0.20]) -%}
    {%- elif name == 'pareto_cut_points' -%}
        {%- do tiering.check_cut_points(name, value, [0.80, 0.95]) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("setting: no checked var named '" ~ name ~ "'.") }}
    {%- endif -%}
    {{- return(value) -}}
{% endmacro %}

{#- on-run-start: every checked var, so that a bad one stops the run before any model. -#}
{% macro validate_vars() %}
    {%- for name in ['as_of_date', 'earliest_valid_date', 'rfm_window_days', 'pyramid_basis',
                     'pyramid_cut_points', 'pareto_cut_points'] -%}
        {%- do tiering.setting(name) -%}
    {%- endfor -%}
{% endmacro %}

{% macro raise_var_error(name, value, expected) %}
    {{ exceptions.raise_compiler_error(
        "Invalid var " ~ name ~ "=" ~ (value | tojson) ~ ": expected " ~ expected
        ~ ". Fix it in dbt_project.yml or pass --vars '{" ~ name ~ ": ...}'.") }}
{% endmacro %}

{#- A date var written YYYY-MM-DD; returns the date. -#}
{% macro parse_date_var(name, value) %}
    {%- set text = value | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ tiering.raise_var_error(name, value, 'a date written YYYY-MM-DD, e.g. 2024-06-30') }}
    {%- endif -%}
    {%- set year, month, day = text.split('-') | map('int') -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set days_in_month = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if month < 1 or month > 12 or day < 1 or day > days_in_month[month - 1] -%}
        {{ tiering.raise_var_error(name, value, 'a date that exists, written YYYY-MM-DD') }}
    {%- endif -%}
    {{- return(modules.datetime.date(year, month, day)) -}}
{% endmacro %}

{#- Cut points: as many numbers as `example` holds, strictly increasing, each above 0 and at most 1. -#}
{% macro check_cut_points(name, values, example) %}
    {%- set expected = example | length ~ ' numbers, strictly increasing, each above 0 and at most 1, e.g. '
        ~ example | tojson -%}
    {%- if values is string or values is not iterable or values | length != example | length -%}
        {{ tiering.raise_var_error(name, values, expected) }}
    {%- endif -%}
    {%- for value in values -%}
        {%- if value is not number or value is boolean or value <= 0 or value > 1
               or (not loop.first and value <= values[loop.index0 - 1]) -%}
            {{ tiering.raise_var_error(name, values, expected) }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
