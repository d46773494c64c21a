{#- Pareto / ABC class (documents 001 and 004, the 80/20 rule): A while the cumulative revenue
    share is <= cut_a (default 0.80), B while <= cut_b (0.95), C for the rest. -#}
{% macro pareto_class(cumulative_share, cut_points) -%}
    {%- if cut_points | length != 2 -%}
        {{ exceptions.raise_compiler_error(
            "pareto_class: cut_points must hold 2 cumulative shares (A, B), got " ~ cut_points) }}
    {%- endif -%}
    case
        when {{ cumulative_share }} <= {{ tiering.decimal_literal(cut_points[0]) }} then 'A'
        when {{ cumulative_share }} <= {{ tiering.decimal_literal(cut_points[1]) }} then 'B'
        else 'C'
    end
{%- endmacro %}
