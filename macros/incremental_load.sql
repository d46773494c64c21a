{#- Incremental loading of the transaction files into base_transactions.

    Every row of base_transactions carries its file (source_file) and the version it was loaded
    in (load_version: the file's size and modification time, and a fingerprint of the vars that
    decide how a row is read and typed). A file is read again when its load version changed: a
    new file, a file rewritten in place (a late correction), or a change of date_formats,
    separators, earliest_valid_date or transaction_grain. Rows dated after the run date are read
    again once that day has come. An input without file versions (a table on another engine
    without source_file_version) is read in full on every run. -#}

{#- The load version of a file whose version is `file_version_sql` (SQL text expression). -#}
{% macro load_version(file_version_sql) %}
    {{- dbt.concat([
        'coalesce(' ~ file_version_sql ~ ', ' ~ tiering.string_literal(tiering.unversioned()) ~ ')',
        tiering.string_literal('/' ~ tiering.reading_fingerprint())]) -}}
{% endmacro %}

{#- What stands for the version of a file that has none: this run, so it is always read again. -#}
{% macro unversioned() %}
    {{- return('unversioned ' ~ run_started_at.strftime('%Y-%m-%dT%H:%M:%S.%f')) -}}
{% endmacro %}

{#- A fingerprint of every var that changes how a row is read or typed; a change reloads every
    file. Bump `logic` when a release changes how rows are typed or ranked. -#}
{% macro reading_fingerprint() %}
    {%- set settings = {'logic': 1} -%}
    {%- for name in ['date_formats', 'decimal_separator', 'thousands_separator', 'earliest_valid_date',
                     'transaction_grain', 'csv_delimiter', 'csv_encoding'] -%}
        {%- do settings.update({name: tiering.setting(name)}) -%}
    {%- endfor -%}
    {{- return(local_md5(settings | tojson)) -}}
{% endmacro %}

{#- The input's files and their versions, as a mapping from file name to load version. -#}
{% macro current_load_versions() %}
    {%- set versions = {} -%}
    {%- for file_name, file_version in tiering.input_files('raw_transactions') -%}
        {%- do versions.update({file_name: (file_version or tiering.unversioned())
            ~ '/' ~ tiering.reading_fingerprint()}) -%}
    {%- endfor -%}
    {{- return(versions) -}}
{% endmacro %}

{#- What an incremental run of base_transactions reads, given what `relation` holds:
    files_to_read (the input's files not loaded in their current version, or holding rows dated
    after an earlier run date that has now come) and files_to_replace (those, and the files loaded
    before that are no longer in the input). -#}
{% macro load_plan(relation) %}
    {%- set current = tiering.current_load_versions() -%}
    {%- set run_date = tiering.date_literal(run_started_at.strftime('%Y-%m-%d'), 'run date') -%}
    {%- set loaded = run_query(
        "select source_file, load_version, max(case when reject_reason = 'transaction_date_in_future'"
        ~ " and transaction_date <= " ~ run_date ~ " then 1 else 0 end) as has_come"
        ~ " from " ~ relation ~ " group by source_file, load_version") -%}
    {%- set up_to_date = [] -%}
    {%- set files_to_replace = [] -%}
    {%- for file_name, load_version, has_come in loaded.rows -%}
        {%- if current.get(file_name) == load_version and has_come == 0 -%}
            {%- do up_to_date.append(file_name) -%}
        {%- elif file_name not in files_to_replace -%}
            {%- do files_to_replace.append(file_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set files_to_read = current.keys() | reject('in', up_to_date) | list -%}
    {%- for file_name in files_to_read if file_name not in files_to_replace -%}
        {%- do files_to_replace.append(file_name) -%}
    {%- endfor -%}
    {%- do log('base_transactions: ' ~ files_to_read | length ~ ' of ' ~ current | length
        ~ ' input files to read, ' ~ (files_to_replace | reject('in', files_to_read) | list | length)
        ~ ' gone.', info=true) -%}
    {{- return({'files_to_read': files_to_read | sort, 'files_to_replace': files_to_replace | sort}) -}}
{% endmacro %}

{#- Post-hook of base_transactions: delete the rows of files that are no longer in the input,
    and those of an earlier version of a file that was read again. -#}
{% macro delete_unloaded_files(relation) %}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set current = tiering.current_load_versions() -%}
    {%- set loaded = run_query(
        "select distinct source_file, load_version from " ~ relation).rows -%}
    {%- set stale = [] -%}
    {%- for file_name, load_version in loaded if current.get(file_name) != load_version -%}
        {%- do stale.append('(source_file = ' ~ tiering.string_literal(file_name)
            ~ ' and load_version = ' ~ tiering.string_literal(load_version) ~ ')') -%}
    {%- endfor -%}
    {%- if stale -%}
        {%- do run_query('delete from ' ~ relation ~ ' where ' ~ stale | join(' or ')) -%}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}

{#- SQL: `column` is one of `values` (text); false for no values. -#}
{% macro is_in(column, values) %}
    {%- if values | length == 0 -%}
        {{- return('1 = 0') -}}
    {%- endif -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append(tiering.string_literal(value)) -%}
    {%- endfor -%}
    {{- return(column ~ ' in (' ~ literals | join(', ') ~ ')') -}}
{% endmacro %}

{#- The files of the input table `table_name` and their versions, as [name, version] pairs
    (version none when the input does not give one). -#}
{% macro input_files(table_name) %}
    {{- return(adapter.dispatch('input_files', 'tiering')(table_name)) -}}
{% endmacro %}

{% macro default__input_files(table_name) %}
    {%- set present = tiering.input_columns(table_name) or {} -%}
    {%- set file_column = present.get('source_file') -%}
    {%- set version_column = present.get('source_file_version') -%}
    {%- set file_sql = "coalesce(cast(" ~ adapter.quote(file_column) ~ " as " ~ dbt.type_string() ~ "), '')"
        if file_column else "''" -%}
    {%- set version_sql = "max(cast(" ~ adapter.quote(version_column) ~ " as " ~ dbt.type_string() ~ "))"
        if version_column else "cast(null as " ~ dbt.type_string() ~ ")" -%}
    {%- set rows = run_query(
        "select " ~ file_sql ~ " as source_file, " ~ version_sql ~ " as source_file_version from "
        ~ tiering.raw_relation(table_name) ~ " group by " ~ file_sql).rows -%}
    {%- set files = [] -%}
    {%- for file_name, file_version in rows -%}
        {%- do files.append([file_name, file_version]) -%}
    {%- endfor -%}
    {{- return(files) -}}
{% endmacro %}

{% macro duckdb__input_files(table_name) %}
    {%- set path = tiering.input_path(table_name) -%}
    {{- return(tiering.input_file_versions(path) if path is not none else []) -}}
{% endmacro %}

{#- `union all` the rows of base_transactions (`relation`) loaded before that an incremental run
    must rank again among the copies of their key: clean rows and duplicates, of files kept,
    whose key is that of a clean row read now (in the CTE `read_rows`) or of a clean row or
    duplicate of a file read again or gone. Nothing under a full build (`load_plan` none). -#}
{% macro union_loaded_rows_to_rank(relation, load_plan, read_rows, duplicate_reason) %}
    {%- if load_plan is not none %}
    union all
    select
        loaded.source_file,
        loaded.load_version,
        loaded.raw_row_number,
        loaded.transaction_id,
        loaded.line_id,
        loaded.line_key,
        loaded.customer_id,
        loaded.transaction_date,
        loaded.amount,
        loaded.cost,
        loaded.quantity,
        loaded.channel,
        loaded.product_category,
        loaded.status,
        loaded.transaction_date_text,
        loaded.amount_text,
        loaded.cost_text,
        cast(null as {{ dbt.type_string() }}) as row_reject_reason
    from {{ relation }} as loaded
    where
        (loaded.reject_reason is null or loaded.reject_reason = '{{ duplicate_reason }}')
        and not {{ tiering.is_in('loaded.source_file', load_plan.files_to_replace) }}
        and loaded.line_key in (
            select read_now.line_key
            from {{ read_rows }} as read_now
            where read_now.row_reject_reason is null
            union
            select replaced.line_key
            from {{ relation }} as replaced
            where
                (replaced.reject_reason is null or replaced.reject_reason = '{{ duplicate_reason }}')
                and {{ tiering.is_in('replaced.source_file', load_plan.files_to_replace) }}
        )
    {%- endif %}
{% endmacro %}
