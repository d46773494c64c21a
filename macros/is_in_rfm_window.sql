{#- True when `date_column` lies in the look-back window of `window_days` days that ends on
    `as_of_date` (both SQL expressions): as_of_date - window_days < date <= as_of_date. A day
    exactly window_days before the as-of date is outside. With window_days none the window is all
    history up to the as-of date. -#}
{% macro is_in_rfm_window(date_column, as_of_date, window_days) -%}
    {%- if window_days is none -%}
        ({{ date_column }} <= {{ as_of_date }})
    {%- elif window_days is not number or window_days < 1 -%}
        {{ exceptions.raise_compiler_error(
            "is_in_rfm_window: window_days must be a whole number of at least 1 or none, got " ~ window_days) }}
    {%- else -%}
        ({{ date_column }} <= {{ as_of_date }}
            and {{ dbt.datediff(date_column, as_of_date, 'day') }} < {{ window_days }})
    {%- endif -%}
{%- endmacro %}
