{#- Select list over a raw input relation: every contract column cast to text, with an
    absent optional column filled with null, so that staging reads one shape on every engine.
    When the relation cannot be introspected (a unit-test fixture) every column is selected. -#}
{% macro source_columns(relation, table_name) %}
    {%- set contract = tiering.input_contract(table_name) -%}
    {%- set present = {} -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do present.update({column.name | lower: column.name}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set introspected = present | length > 0 -%}
    {%- for name in contract.required + contract.optional %}
        {%- if name in present or not introspected %}
        cast({{ adapter.quote(present.get(name, name)) }} as {{ dbt.type_string() }}) as {{ name }}
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ name }}
        {%- endif -%}
        {{- "," if not loop.last }}
    {%- endfor %}
{% endmacro %}
