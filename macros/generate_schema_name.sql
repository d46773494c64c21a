{#- Layers land in schemas named after them (staging, intermediate, marts), so that BI tools
    are pointed at one schema, `marts`, and never see the layers below. Without a custom schema
    a model lands in the target's schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
