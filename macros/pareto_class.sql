{#- Pareto / ABC class (documents 001 and 004, the 80/20 rule), decided by the share of the total
    (positive) value held by the customers ranked strictly above a customer's tie group
    (`value_above` over `value_total`, from value_ranks in descending order): A while that share
    is below cut_a (default 0.80), B while below cut_b (0.95), C for the rest. So the top
    customer is always A, a customer who crosses the 80 % line is still A, and customers with
    equal value share a class. Compared in exact decimals (value above < cut x total), so a share
    exactly on a cut point is the same on every engine. -#}
{% macro pareto_class(value_above, value_total, cut_points) -%}
    {%- if cut_points | length != 2 -%}
        {{ exceptions.raise_compiler_error(
            "pareto_class: cut_points must hold 2 cumulative shares (A, B), got " ~ cut_points) }}
    {%- endif -%}
    case
        when {{ value_above }} <= 0 then 'A'
        {%- for class in ['A', 'B'] %}
        when {{ value_above }} < {{ tiering.decimal_literal(cut_points[loop.index0]) }} * {{ value_total }}
            then '{{ class }}'
        {%- endfor %}
        else 'C'
    end
{%- endmacro %}
