{#- The group a customer is tiered within (var tier_within): its values of the customer attributes
    `columns` (e.g. ['region'] or ['customer_type', 'region']) of the relation or CTE `customers`,
    joined by ' / ', a missing value reading 'unknown'. Null when `columns` is empty. -#}
{% macro tier_group(columns, customers) -%}
    {%- if not columns -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {%- set parts = [] -%}
        {%- for column in columns -%}
            {%- if not loop.first -%}
                {%- do parts.append("' / '") -%}
            {%- endif -%}
            {%- do parts.append("coalesce(" ~ customers ~ "." ~ column ~ ", 'unknown')") -%}
        {%- endfor -%}
        {{ dbt.concat(parts) if parts | length > 1 else parts[0] }}
    {%- endif -%}
{%- endmacro %}
