{#- Cumulative share of `value_column` in descending order of value, ties broken by
    `tie_breaker`: the positive value of every row up to this one over the total. Negative values
    add nothing (a net refund cannot take back another customer's share), so the share never
    decreases and ends at exactly 1; when the total is 0 every row's share is 1.

    The running sum is the positive value of the rows of higher value (`value_above`, from
    value_ranks in descending order) plus this row's positive value times its position in its
    tie group (row_number() over the group ordered by tie_breaker): every row of a group holds
    the same value, so this is the running sum over the order (value desc, tie_breaker) exactly,
    without a sort of every row by value and a text key. -#}
{% macro cumulative_share(value_column, value_above, value_total, tie_breaker='customer_id', partition_by=none) -%}
    {%- set tie_group = 'partition by ' ~ (partition_by ~ ', ' if partition_by else '') ~ value_column -%}
    {%- set positive = '(case when ' ~ value_column ~ ' > 0 then ' ~ value_column ~ ' else 0 end)' -%}
    coalesce(
        cast(
            {{ value_above }} + {{ positive }} * row_number() over (
                {{ tie_group }} order by {{ tiering.binary_text(tie_breaker) }} asc
            ) as {{ tiering.type_double() }}
        )
        / nullif(cast({{ value_total }} as {{ tiering.type_double() }}), 0),
        1.0
    )
{%- endmacro %}
