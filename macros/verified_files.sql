{#- Tests of transaction rows re-check only what can have changed since they last passed.

    A file's rows are typed once, when the file is loaded (base_transaction_rows), and never change
    until the file is read again; what a later run can change about them is only the duplicate
    rule's verdict, and only for keys with copies (base_transaction_copies). So once every test
    has passed over a file's rows, a later run need test only
      - the rows of the files not verified in their current version ("files to verify"), and
      - the rows whose key has copies ("rows to verify": those, and every row of such a key).
    The tests that may be scoped say so with a placeholder in their `where` config, replaced at
    run time by get_where_subquery below: __files_to_verify__ or __rows_to_verify__ (singular
    tests call the macros is_in_files_to_verify and rows_to_verify).

    The customer file is tested as a whole: its tests say `where: __customers_to_verify__`, which
    reads nothing once its files are verified in their current version (stg_customers is rebuilt
    only when that version changes).

    The record of verified files (source_file, load_version; customer files too) is a table next to
    base_transaction_rows, written by the on-run-end hook after a `dbt build` or `dbt test` in which
    every selected node succeeded and every test of the project ran; `--full-refresh` drops it, so
    the next tests read every row again. -#}

{#- The relation of a model of this project (its database, schema and alias from the graph). -#}
{% macro model_relation(model_name) %}
    {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
    {{- return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{% endmacro %}

{#- The table recording the files whose rows passed every test, as loaded. -#}
{% macro verified_files_relation() %}
    {%- set rows = tiering.model_relation('base_transaction_rows') -%}
    {{- return(api.Relation.create(
        database=rows.database, schema=rows.schema, identifier='tiering_verified_files')) -}}
{% endmacro %}

{#- The verified files, as a mapping from file name to the load version that was verified. -#}
{% macro verified_files() %}
    {%- set relation = tiering.verified_files_relation() -%}
    {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
        {{- return({}) -}}
    {%- endif -%}
    {%- set verified = {} -%}
    {%- for file_name, load_version in run_query(
            'select source_file, load_version from ' ~ relation).rows -%}
        {%- do verified.update({file_name: load_version}) -%}
    {%- endfor -%}
    {{- return(verified) -}}
{% endmacro %}

{#- The input's files that are not verified in their current load version. -#}
{% macro files_to_verify(verified=none) %}
    {%- set verified = tiering.verified_files() if verified is none else verified -%}
    {%- set files = [] -%}
    {%- for file_name, load_version in tiering.current_load_versions() | dictsort -%}
        {%- if verified.get(file_name) != load_version -%}
            {%- do files.append(file_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(files) -}}
{% endmacro %}

{#- SQL: the row (with a source_file column) belongs to a file to verify (every row while no file
    is verified). -#}
{% macro is_in_files_to_verify() %}
    {%- if not execute or tiering.setting('verify_every_row') -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {%- set verified = tiering.verified_files() -%}
    {%- if verified | length == 0 -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {{- return(tiering.is_in('source_file', tiering.files_to_verify(verified))) -}}
{% endmacro %}

{#- SQL: true when the customer input must be tested: false only when every file of it is verified
    in its current load version (stg_customers, rebuilt only when that version changes, is then the
    table that passed). -#}
{% macro customers_to_verify() %}
    {%- if not execute or tiering.setting('verify_every_row') -%}
        {{- return('1 = 1') -}}
    {%- endif -%}
    {%- set current = tiering.current_load_versions('raw_customers') -%}
    {%- set verified = tiering.verified_files() -%}
    {%- for file_name, load_version in current.items() if verified.get(file_name) != load_version -%}
        {{- return('1 = 1') -}}
    {%- endfor -%}
    {{- return('1 = 1' if current | length == 0 else '1 = 0') -}}
{% endmacro %}

{#- SQL: a subquery of the rows of `relation` (with source_file and raw_row_number columns) to
    verify: those of the files to verify, and those listed in base_transaction_copies (every row
    whose key has copies, whose duplicate verdict can change with any file). Two selections
    rather than one `or`, so that the first reads only its files' blocks, and the second checks
    the row number, a cheap integer, before the file name. -#}
{% macro rows_to_verify(relation) %}
    {%- set in_files = tiering.is_in_files_to_verify() -%}
    {%- if in_files == '1 = 1' -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set copies = tiering.model_relation('base_transaction_copies') -%}
    {%- set rows -%}
    (
        select * from {{ relation }} where {{ in_files }}
        union all
        select * from {{ relation }}
        where
            raw_row_number in (select raw_row_number from {{ copies }})
            and (source_file, raw_row_number) in (select source_file, raw_row_number from {{ copies }})
            and not ({{ in_files }})
    )
    {%- endset -%}
    {{- return(rows) -}}
{% endmacro %}

{#- dbt's get_where_subquery, with the placeholders above: `where: __files_to_verify__` tests the
    rows of the files to verify, `where: __rows_to_verify__` the rows to verify,
    `where: __customers_to_verify__` the customers unless their input is verified,
    `where: __latest_history_run__` the rows of a history table computed by its latest run (the
    others are as they were when their tests passed). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {{- return(relation) -}}
    {%- elif where == '__rows_to_verify__' -%}
        {{- return(tiering.rows_to_verify(relation) ~ ' dbt_subquery') -}}
    {%- elif '__rows_to_verify__' in where -%}
        {{- exceptions.raise_compiler_error(
            "where: __rows_to_verify__ cannot be combined with other conditions, got: " ~ where) -}}
    {%- endif -%}
    {%- if '__files_to_verify__' in where -%}
        {%- set where = where | replace('__files_to_verify__', tiering.is_in_files_to_verify()) -%}
    {%- endif -%}
    {%- if '__customers_to_verify__' in where -%}
        {%- set where = where | replace('__customers_to_verify__', tiering.customers_to_verify()) -%}
    {%- endif -%}
    {%- if '__latest_history_run__' in where -%}
        {%- set where = where | replace('__latest_history_run__',
            'computed_at = (select max(computed_at) from ' ~ relation ~ ')') -%}
    {%- endif -%}
    {{- return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -}}
{%- endmacro %}

{#- True when every test of the input's rows (the tests of this project on a model of the staging
    layer) was selected and every selected node succeeded. The tests of the other layers read
    tables computed from the rows, not the rows: leaving them out (e.g. `--exclude tag:history`)
    leaves the rows' verdict as it is. -#}
{% macro input_tests_passed(results) %}
    {%- if flags.WHICH not in ['build', 'test'] -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set staging = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and 'staging' in node.fqn -%}
        {%- do staging.append(node.unique_id) -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values()
            if node.resource_type == 'test' and node.package_name == project_name
            and node.unique_id not in selected_resources -%}
        {%- for parent in node.depends_on.nodes if parent in staging -%}
            {{- return(false) -}}
        {%- endfor -%}
    {%- endfor -%}
    {#- Exposures are not run: dbt reports them as 'no-op'. -#}
    {%- for result in results
            if result.status not in ['success', 'pass', 'warn']
            and not (result.node.resource_type == 'exposure' and result.status == 'no-op') -%}
        {{- return(false) -}}
    {%- endfor -%}
    {{- return(true) -}}
{% endmacro %}

{#- on-run-end: after a run in which every test of the input's rows passed, record as verified
    the files whose rows base_transaction_rows holds in their current load version. Not where the
    incremental models are tables (Spark): every run there reads and tests every row. -#}
{% macro record_verified_files(results) %}
    {%- if not execute or tiering.incremental_materialization() == 'table'
            or not tiering.input_tests_passed(results) -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set rows = tiering.model_relation('base_transaction_rows') -%}
    {%- if adapter.get_relation(rows.database, rows.schema, rows.identifier) is none -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set current = tiering.current_load_versions() -%}
    {%- set verified = [] -%}
    {%- for file_name, load_version in run_query(
            'select distinct source_file, load_version from ' ~ rows).rows
            if current.get(file_name) == load_version -%}
        {%- do verified.append('(' ~ tiering.string_literal(file_name) ~ ', '
            ~ tiering.string_literal(load_version) ~ ')') -%}
    {%- endfor -%}
    {%- do log('Verified ' ~ verified | length ~ ' of ' ~ current | length ~ ' input files.', info=true) -%}
    {#- The customer files, when stg_customers holds their current version. -#}
    {%- if tiering.customers_are_current() -%}
        {%- for file_name, load_version in tiering.current_load_versions('raw_customers') | dictsort -%}
            {%- do verified.append('(' ~ tiering.string_literal(file_name) ~ ', '
                ~ tiering.string_literal(load_version) ~ ')') -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set relation = tiering.verified_files_relation() -%}
    {%- set text = dbt.type_string() -%}
    drop table if exists {{ relation }};
    create table {{ relation }} as
    select
        cast(source_file as {{ text }}) as source_file,
        cast(load_version as {{ text }}) as load_version
    from (
        {%- if verified %}
        values {{ verified | join(', ') }}
        {%- else %}
        select null as source_file, null as load_version where 1 = 0
        {%- endif %}
    ) as verified (source_file, load_version)
{% endmacro %}

{#- True when stg_customers exists and was built from the current version of the customer input.
    Plain queries only: the adapter's column lookup opens a transaction on the hook's connection,
    which dbt then rolls back with the record written in it. -#}
{% macro customers_are_current() %}
    {%- set customers = tiering.model_relation('stg_customers') -%}
    {%- set found = run_query(
        "select count(*) from information_schema.columns"
        ~ " where lower(table_catalog) = lower(" ~ tiering.string_literal(customers.database) ~ ")"
        ~ " and lower(table_schema) = lower(" ~ tiering.string_literal(customers.schema) ~ ")"
        ~ " and lower(table_name) = lower(" ~ tiering.string_literal(customers.identifier) ~ ")"
        ~ " and lower(column_name) = 'input_version'").columns[0].values()[0] -%}
    {%- if found | int == 0 -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set built_from = run_query('select distinct input_version from ' ~ customers).columns[0].values() -%}
    {{- return(built_from | list == [tiering.input_version('raw_customers')]) -}}
{% endmacro %}

{#- on-run-start: `--full-refresh` forgets what was verified, so every row is tested again.
    Dropped through the adapter, which also forgets the table in its cache of relations: the
    tests of the same run then see that no file is verified. -#}
{% macro forget_verified_files() %}
    {%- if execute and flags.FULL_REFRESH and tiering.builds_models() -%}
        {%- set relation = tiering.verified_files_relation() -%}
        {%- set existing = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
        {%- if existing is not none -%}
            {%- do adapter.drop_relation(existing) -%}
            {%- do log('Forgot the verified files (--full-refresh): every row is tested again.', info=true) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
