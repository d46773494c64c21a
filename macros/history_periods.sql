{#- The periods of the history (var history_grain): weeks (from Monday, on every engine), months,
    quarters or years. -#}

{#- The first day of the period of `grain` that holds the day `date_expression`, a date. -#}
{% macro period_start(date_expression, grain) -%}
    cast({{ dbt.date_trunc(grain, date_expression) }} as date)
{%- endmacro %}

{#- The first day of the period `periods` (an integer expression) periods of `grain` after the
    period starting on `period_start` (a date expression), a date. -#}
{% macro periods_after(period_start, periods, grain) -%}
    {%- set steps = {'week': ('day', 7), 'month': ('month', 1), 'quarter': ('month', 3), 'year': ('month', 12)} -%}
    {%- if grain not in steps -%}
        {{ exceptions.raise_compiler_error(
            "periods_after: grain must be one of " ~ steps.keys() | list ~ ", got '" ~ grain ~ "'") }}
    {%- endif -%}
    {%- set part, step = steps[grain] -%}
    cast({{ dbt.dateadd(part, '(' ~ periods ~ ') * ' ~ step, period_start) }} as date)
{%- endmacro %}
