{#- Pareto / ABC class (documents 001 and 004, the 80/20 rule), decided by the share of the total
    (positive) value held by the customers ranked strictly above a customer's tie group: A while
    that share is below cut_a (default 0.80), B while below cut_b (0.95), C for the rest. So the
    top customer is always A, a customer who crosses the 80 % line is still A, and customers with
    equal value share a class. Compared in exact decimals (value above < cut x total), so a share
    exactly on a cut point is the same on every engine.

    The value above a tie group is the sum through the group (a RANGE frame over the value order)
    less the group's own rows, which all hold the same value: positive x (rows through the group
    - rows before it). Every window shares the one sort by value that rank() and
    cumulative_share use. -#}
{% macro pareto_class(value_column, cut_points, partition_by=none) -%}
    {%- if cut_points | length != 2 -%}
        {{ exceptions.raise_compiler_error(
            "pareto_class: cut_points must hold 2 cumulative shares (A, B), got " ~ cut_points) }}
    {%- endif -%}
    {%- set partition = 'partition by ' ~ partition_by ~ ' ' if partition_by else '' -%}
    {%- set by_value = partition ~ 'order by ' ~ value_column ~ ' desc nulls last' -%}
    {%- set through_group = 'range between unbounded preceding and current row' -%}
    {%- set positive = '(case when ' ~ value_column ~ ' > 0 then ' ~ value_column ~ ' else 0 end)' -%}
    {%- set value_above = '(sum(' ~ positive ~ ') over (' ~ by_value ~ ' ' ~ through_group ~ ') - '
        ~ positive ~ ' * (count(*) over (' ~ by_value ~ ' ' ~ through_group ~ ') - rank() over ('
        ~ by_value ~ ') + 1))' -%}
    {%- set total = 'sum(' ~ positive ~ ') over (' ~ partition | trim ~ ')' -%}
    case
        when {{ value_above }} <= 0 then 'A'
        {%- for class in ['A', 'B'] %}
        when {{ value_above }} < {{ tiering.decimal_literal(cut_points[loop.index0]) }} * {{ total }}
            then '{{ class }}'
        {%- endfor %}
        else 'C'
    end
{%- endmacro %}
