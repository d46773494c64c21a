{#- Select list over a raw input table: every contract column cast to text, with an
    absent optional column filled with null, so that staging reads one shape on every engine.
    When the table does not exist yet (compile on an empty database) every contract column is
    selected. -#}
{% macro source_columns(table_name) %}
    {%- set contract = tiering.input_contract(table_name) -%}
    {%- set present = tiering.input_columns(table_name) -%}
    {%- for name in contract.required + contract.optional %}
        {%- if present is none or name in present %}
        cast({{ adapter.quote(present.get(name, name) if present else name) }} as {{ dbt.type_string() }}) as {{ name }}
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ name }}
        {%- endif -%}
        {{- "," if not loop.last }}
    {%- endfor %}
{% endmacro %}

{#- The columns of the input table `table_name` in var('raw_schema'), as a mapping from the
    lower-cased name to the name as written; none when the table does not exist (yet). -#}
{% macro input_columns(table_name) %}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set input_table = adapter.get_relation(
        database=target.database, schema=var('raw_schema'), identifier=table_name) -%}
    {%- if input_table is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set present = {} -%}
    {%- for column in adapter.get_columns_in_relation(input_table) -%}
        {%- do present.update({column.name | lower: column.name}) -%}
    {%- endfor -%}
    {{- return(present) -}}
{% endmacro %}

{#- The number of each raw row within its file: its position in the file (source_row_number,
    which the loaders add), or for an input table without that column its position when the rows
    of its file (of the whole table, without a source_file column) are sorted by their values in
    byte order. -#}
{% macro raw_row_number(table_name) -%}
    {%- set present = tiering.input_columns(table_name) -%}
    {%- if present is none or 'source_row_number' in present -%}
        cast(source_row_number as {{ dbt.type_bigint() }})
    {%- else -%}
        {%- set contract = tiering.input_contract(table_name) -%}
        row_number() over (
            {%- if 'source_file' in present %}
            partition by source_file
            {%- endif %}
            order by
            {%- for name in contract.required + contract.optional if name not in ['source_row_number', 'source_file'] %}
                {{ tiering.binary_text(name) }} asc nulls last{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}
