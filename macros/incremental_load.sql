{#- Incremental loading of the transaction files into base_transaction_rows.

    Every row of base_transaction_rows carries its file (source_file) and the version it was loaded
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
{% macro current_load_versions(table_name='raw_transactions') %}
    {%- set versions = {} -%}
    {%- for file_name, file_version in tiering.input_files(table_name) -%}
        {%- do versions.update({file_name: (file_version or tiering.unversioned())
            ~ '/' ~ tiering.reading_fingerprint()}) -%}
    {%- endfor -%}
    {{- return(versions) -}}
{% endmacro %}

{#- What an incremental run of base_transaction_rows reads, given what `relation` holds:
    files_to_read (the input's files not loaded in their current version, or holding rows dated
    after an earlier run date that has now come), files_to_replace (those, and the files loaded
    before that are no longer in the input) and input_files (how many files the input has). -#}
{% macro load_plan(relation) %}
    {%- set current = tiering.current_load_versions() -%}
    {%- set run_date = tiering.run_date() -%}
    {#- Two queries: the second reads only the few rows dated in the future (half the time of one
        aggregate at 100 M rows). -#}
    {%- set loaded = run_query("select distinct source_file, load_version from " ~ relation) -%}
    {%- set come = run_query(
        "select distinct source_file from " ~ relation ~ " where row_reject_reason = 'transaction_date_in_future'"
        ~ " and transaction_date <= " ~ run_date).columns[0].values() | list -%}
    {%- set up_to_date = [] -%}
    {%- set files_to_replace = [] -%}
    {%- for file_name, load_version in loaded.rows -%}
        {%- if current.get(file_name) == load_version and file_name not in come -%}
            {%- do up_to_date.append(file_name) -%}
        {%- elif file_name not in files_to_replace -%}
            {%- do files_to_replace.append(file_name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set files_to_read = current.keys() | reject('in', up_to_date) | list -%}
    {%- for file_name in files_to_read if file_name not in files_to_replace -%}
        {%- do files_to_replace.append(file_name) -%}
    {%- endfor -%}
    {{- return({'files_to_read': files_to_read | sort, 'files_to_replace': files_to_replace | sort,
                'input_files': current | length}) -}}
{% endmacro %}

{#- Pre-hook of base_transaction_rows: under an incremental run, delete the rows of the files it
    reads again and of the files gone from the input (load_plan), and log what it reads. -#}
{% macro delete_replaced_files(relation) %}
    {%- if not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set plan = tiering.load_plan(relation) -%}
    {%- set gone = plan.files_to_replace | reject('in', plan.files_to_read) | list -%}
    {%- do log(relation.identifier ~ ': ' ~ plan.files_to_read | length ~ ' of ' ~ plan.input_files
        ~ ' input files to read, ' ~ gone | length ~ ' gone.', info=true) -%}
    {%- if plan.files_to_replace -%}
        {%- do run_query('delete from ' ~ relation ~ ' where '
            ~ tiering.is_in('source_file', plan.files_to_replace)) -%}
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

{#- One version for the whole input `table_name` (every file's load version): what a model that is
    rebuilt only when its input changed stores in its input_version column. -#}
{% macro input_version(table_name) %}
    {{- return(local_md5(tiering.current_load_versions(table_name) | dictsort | tojson)) -}}
{% endmacro %}

{#- True when `relation` (an existing model with an input_version column; call it only under
    is_incremental()) was built from the current version of the input `table_name`, so an
    incremental run has nothing to do. An empty table
    is never up to date (an empty input costs nothing to read again). -#}
{% macro is_up_to_date(relation, table_name) %}
    {%- if not execute -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if 'input_version' not in columns -%}
        {#- Built by a release without the column: rebuilt (on_schema_change then asks for
            --full-refresh). -#}
        {{- return(false) -}}
    {%- endif -%}
    {%- set built_from = run_query('select distinct input_version from ' ~ relation).columns[0].values() -%}
    {{- return(built_from | list == [tiering.input_version(table_name)]) -}}
{% endmacro %}

{#- Pre-hook of a model rebuilt only when its input changed: under an incremental run, empty
    `relation` when its input `table_name` changed (the model then reads the whole input again),
    and log which of the two happens. -#}
{% macro empty_if_outdated(relation, table_name) %}
    {%- if not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- if tiering.is_up_to_date(relation, table_name) -%}
        {%- do log(relation.identifier ~ ': ' ~ table_name ~ ' unchanged, nothing to read.', info=true) -%}
    {%- else -%}
        {%- do log(relation.identifier ~ ': ' ~ table_name ~ ' changed, reading it again.', info=true) -%}
        {%- do run_query('delete from ' ~ relation) -%}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}

{#- This run's start as a timestamp literal (UTC, to the microsecond): when rows were loaded or
    ranked. -#}
{% macro run_timestamp() %}
    {{- return('cast(' ~ tiering.string_literal(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f'))
        ~ ' as ' ~ dbt.type_timestamp() ~ ')') -}}
{% endmacro %}

{#- What an incremental run of base_transaction_copies (`relation`) ranks again: mode 'new_rows'
    (the keys of the clean rows loaded after its last ranking, ranked_since), or 'all' when it
    holds no copy, or a copy whose row is no longer loaded as it was (its file was read again or
    is gone: a key may have lost a copy), or outside an incremental run. -#}
{% macro copies_plan(relation) %}
    {%- if not execute or not is_incremental() -%}
        {{- return({'mode': 'all'}) -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if 'ranked_at' not in columns -%}
        {#- Built by a release without it: ranked again (on_schema_change then asks for
            --full-refresh). -#}
        {{- return({'mode': 'all'}) -}}
    {%- endif -%}
    {%- set rows = tiering.model_relation('base_transaction_rows') -%}
    {%- set ranked = run_query('select max(ranked_at) from ' ~ relation).columns[0].values()[0] -%}
    {%- set lost = run_query(
        'select count(*) from (select distinct source_file, loaded_at from ' ~ relation ~ ') as copies'
        ~ ' where (source_file, loaded_at) not in (select distinct source_file, loaded_at from '
        ~ rows ~ ')').columns[0].values()[0] -%}
    {%- if ranked is none or lost > 0 -%}
        {{- return({'mode': 'all'}) -}}
    {%- endif -%}
    {%- set ranked_text = ranked.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {{- return({'mode': 'new_rows', 'ranked_text': ranked_text, 'ranked_since': 'cast('
        ~ tiering.string_literal(ranked_text) ~ ' as ' ~ dbt.type_timestamp() ~ ')'}) -}}
{% endmacro %}

{#- Pre-hook of base_transaction_copies: under an incremental run, delete the copies of the keys
    it ranks again (copies_plan), and log which. -#}
{% macro delete_keys_to_rank(relation) %}
    {%- if not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set plan = tiering.copies_plan(relation) -%}
    {%- if plan.mode == 'all' -%}
        {%- do log(relation.identifier ~ ': ranking the copies of every key.', info=true) -%}
        {%- do run_query('delete from ' ~ relation) -%}
    {%- else -%}
        {%- do log(relation.identifier ~ ': ranking the copies of the keys of rows loaded since '
            ~ plan.ranked_text ~ ' UTC.', info=true) -%}
        {%- do run_query('delete from ' ~ relation ~ ' where line_key in (select line_key from '
            ~ tiering.model_relation('base_transaction_rows') ~ ' where loaded_at > '
            ~ plan.ranked_since ~ ')') -%}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}
