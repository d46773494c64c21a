{#- Cumulative share of `value_column` in descending order of value, ties broken by
    `tie_breaker`: the positive value of every row up to this one over the total. Negative values
    add nothing (a net refund cannot take back another customer's share), so the share never
    decreases and ends at exactly 1; when the total is 0 every row's share is 1.

    The running sum is not taken over a sort by (value, tie_breaker): a sort on a text key costs
    three times one on the value alone. It is the sum through the row's whole tie group (a RANGE
    frame over the value order, the sort that rank() and pareto_class use too), less the rows of
    the group after this one, which all hold the same value:
        running = through_group - positive x (rows through the group - rows before the group
                  - position in the group)
    with the position in the group from a row_number() over the group ordered by tie_breaker.
    Every term is exact (decimals and integers), so the result is the running sum itself. -#}
{% macro cumulative_share(value_column, tie_breaker='customer_id', partition_by=none) -%}
    {%- set partition = 'partition by ' ~ partition_by ~ ' ' if partition_by else '' -%}
    {%- set tie_group = 'partition by ' ~ (partition_by ~ ', ' if partition_by else '') ~ value_column -%}
    {%- set by_value = partition ~ 'order by ' ~ value_column ~ ' desc nulls last' -%}
    {%- set through_group = 'range between unbounded preceding and current row' -%}
    {%- set positive = '(case when ' ~ value_column ~ ' > 0 then ' ~ value_column ~ ' else 0 end)' -%}
    {%- set later_in_group = '(count(*) over (' ~ by_value ~ ' ' ~ through_group ~ ')'
        ~ ' - rank() over (' ~ by_value ~ ') + 1'
        ~ ' - row_number() over (' ~ tie_group ~ ' order by '
        ~ tiering.binary_text(tie_breaker) ~ ' asc))' -%}
    coalesce(
        cast(
            sum({{ positive }}) over ({{ by_value }} {{ through_group }})
            - {{ positive }} * {{ later_in_group }}
            as {{ tiering.type_double() }}
        )
        / nullif(cast(sum({{ positive }}) over ({{ partition | trim }}) as {{ tiering.type_double() }}), 0),
        1.0
    )
{%- endmacro %}
