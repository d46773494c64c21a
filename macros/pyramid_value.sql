{#- The value the pyramid ranks customers by: net revenue, or profit (amount - cost) when
    pyramid_basis is 'profit'. Profit needs a cost column in the input. -#}
{% macro pyramid_value(revenue_column, profit_column, pyramid_basis) -%}
    {%- if pyramid_basis == 'revenue' -%}
        {{ revenue_column }}
    {%- elif pyramid_basis == 'profit' -%}
        {{ profit_column }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "pyramid_value: pyramid_basis must be 'revenue' or 'profit', got '" ~ pyramid_basis ~ "'") }}
    {%- endif -%}
{%- endmacro %}
