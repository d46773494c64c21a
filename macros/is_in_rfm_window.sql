{#- True when `date_column` lies in the look-back window of `window_days` days that ends on
    `as_of_date` (both SQL expressions): as_of_date - window_days < date <= as_of_date. A day
    exactly window_days before the as-of date is outside. With window_days none the window is all
    history up to the as-of date.

    `window_floor`, when given, is the expression of the last day before the window
    (rfm_window_floor), computed once in a one-row CTE beside the as-of date: the test per row is
    then a comparison of two dates, where a day difference per row (dbt.datediff casts both
    sides to timestamps on DuckDB) costs seconds per 100 M rows. -#}
{% macro is_in_rfm_window(date_column, as_of_date, window_days, window_floor=none) -%}
    {%- if window_days is none -%}
        ({{ date_column }} <= {{ as_of_date }})
    {%- else -%}
        ({{ date_column }} <= {{ as_of_date }}
            and {{ date_column }} > {{ window_floor or tiering.rfm_window_floor(as_of_date, window_days) }})
    {%- endif -%}
{%- endmacro %}

{#- The last day before the look-back window of `window_days` days ending on `as_of_date`:
    as_of_date - window_days, a date (null when window_days is none: the window is all history). -#}
{% macro rfm_window_floor(as_of_date, window_days) -%}
    {%- if window_days is none -%}
        cast(null as date)
    {%- elif window_days is not number or window_days is boolean or window_days < 1 -%}
        {{ exceptions.raise_compiler_error(
            "is_in_rfm_window: window_days must be a whole number of at least 1 or none, got " ~ window_days) }}
    {%- else -%}
        cast({{ dbt.dateadd('day', -window_days, as_of_date) }} as date)
    {%- endif -%}
{%- endmacro %}
