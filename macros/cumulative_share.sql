{#- Cumulative share of `value_column` in descending order of value, ties broken by
    `tie_breaker`, as a running sum with an explicit ROWS frame over the total. Negative values add
    nothing (a net refund cannot take back another customer's share), so the share never
    decreases and ends at exactly 1; when the total is 0 every row's share is 1. -#}
{% macro cumulative_share(value_column, tie_breaker='customer_id', partition_by=none) -%}
    {%- set partition = 'partition by ' ~ partition_by ~ ' ' if partition_by else '' -%}
    {%- set positive = 'case when ' ~ value_column ~ ' > 0 then ' ~ value_column ~ ' else 0 end' -%}
    coalesce(
        cast(sum({{ positive }}) over (
            {{ partition }}order by {{ value_column }} desc nulls last, {{ tiering.binary_text(tie_breaker) }} asc
            rows between unbounded preceding and current row
        ) as {{ tiering.type_double() }})
        / nullif(cast(sum({{ positive }}) over ({{ partition }}) as {{ tiering.type_double() }}), 0),
        1.0
    )
{%- endmacro %}
