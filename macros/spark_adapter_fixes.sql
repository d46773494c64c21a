{#- Two macros of dbt-spark 1.11 replaced for this project (dbt looks in the root project first).

    split_part: dbt-spark's splits with a regular expression and escapes a delimiter that is not
    alphanumeric, but reads 'T' as the pattern \T (not a letter T); Spark 3.3+ has split_part,
    which takes the delimiter as it is. -#}
{% macro spark__split_part(string_text, delimiter_text, part_number) -%}
    split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- endmacro %}

{#- load_csv_rows (the rows of a seed): dbt-spark's session method puts each value between quotes
    without escaping it (dbt-spark#572), so a text with a quote fails. Here every value is a
    literal: text through string_literal, numbers as they are, empty as null. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set values = [] -%}
        {%- for row in chunk -%}
            {%- set literals = [] -%}
            {%- for value in row -%}
                {%- set column_name = agate_table.column_names[loop.index0] -%}
                {%- set column_type = column_override.get(column_name,
                    adapter.convert_type(agate_table, loop.index0)) -%}
                {%- set literal = 'null' if value is none
                    else value | string if value is number
                    else tiering.string_literal(value | string) -%}
                {%- do literals.append('cast(' ~ literal ~ ' as ' ~ column_type ~ ')') -%}
            {%- endfor -%}
            {%- do values.append('(' ~ literals | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ values | join(', ') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) if loop.first -%}
    {%- endfor -%}
    {{- return(statements[0] if statements else '') -}}
{% endmacro %}

{#- cast, and with it the column types of model contracts (data_type: double precision, varchar),
    which dbt checks through cast(null as <data_type>): Spark SQL spells two of the project's
    portable types its own way, double precision as double and an unbounded varchar as string. -#}
{% macro spark__cast(field, type) -%}
    {%- set spark_types = {'double precision': 'double', 'varchar': 'string'} -%}
    cast({{ field }} as {{ spark_types.get(type | lower | trim, type) }})
{%- endmacro %}
