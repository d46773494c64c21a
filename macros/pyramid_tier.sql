{#- Customer pyramid tier (domain.md, document 004): with N customers ranked by value with
    RANK(), A = rank <= ceil(cut_a * N), B = rank <= ceil(cut_b * N), C = rank <= ceil(cut_c * N),
    D = the rest. Cut points are cumulative shares (default 1 %, 5 %, 20 %). -#}
{% macro pyramid_tier(rank_column, customer_count, cut_points) -%}
    {%- if cut_points | length != 3 -%}
        {{ exceptions.raise_compiler_error(
            "pyramid_tier: cut_points must hold 3 cumulative shares (A, B, C), got " ~ cut_points) }}
    {%- endif -%}
    case
        {%- for tier in ['A', 'B', 'C'] %}
        when {{ rank_column }} <= ceil({{ tiering.decimal_literal(cut_points[loop.index0]) }} * {{ customer_count }})
            then '{{ tier }}'
        {%- endfor %}
        else 'D'
    end
{%- endmacro %}

{#- A number as a plain decimal literal (never 1e-05), so that engines compute with exact decimals. -#}
{% macro decimal_literal(value) -%}
    {{ '%.10f' | format(value | float) }}
{%- endmacro %}
