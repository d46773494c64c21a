{#- on-run-start: make the raw inputs ready and check them against the column contract.
    DuckDB: create views in the raw schema over the transaction file(s) (CSV or Parquet, every
    column as text) and the optional customer file; nothing is copied. Other engines: the raw tables already exist in
    var('raw_schema'); only their columns are checked. Any problem stops the run before a model
    is built, with a message that names the file or table and the fix. -#}
{% macro prepare_inputs() %}
    {%- if execute and tiering.builds_models() and tiering.selects_project_nodes() -%}
        {%- do adapter.dispatch('prepare_inputs', 'tiering')() -%}
        {%- do tiering.check_cost_values() -%}
    {%- endif -%}
{% endmacro %}

{#- True for the commands that build models (build, run, retry). Read-only commands (test,
    compile, docs generate, source freshness, ls, show) never load or replace the inputs. -#}
{% macro builds_models() %}
    {{- return(flags.WHICH in ['build', 'run', 'retry']) -}}
{% endmacro %}

{#- True when the run selects a node of this project (not only, say, a package's models). -#}
{% macro selects_project_nodes() %}
    {%- for unique_id in selected_resources if unique_id.split('.')[1] == project_name -%}
        {{- return(true) -}}
    {%- endfor -%}
    {{- return(false) -}}
{% endmacro %}

{% macro default__prepare_inputs() %}
    {%- for table_name in ['raw_transactions', 'raw_customers'] -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema=var('raw_schema'), identifier=table_name) -%}
        {%- if relation is none and table_name == 'raw_transactions' -%}
            {{ exceptions.raise_compiler_error(
                "No input table " ~ var('raw_schema') ~ "." ~ table_name ~ " on target '"
                ~ target.name ~ "'. Load your transactions there, or set the var raw_schema to the "
                ~ "schema that holds them.") }}
        {%- elif relation is none -%}
            {#- No customer file: an empty one keeps the customer attributes null. -#}
            {%- do tiering.create_empty_input(table_name) -%}
        {%- else -%}
            {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
            {%- do tiering.check_required_columns(table_name, columns, relation | string) -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

{% macro duckdb__prepare_inputs() %}
    {%- set transactions_path = tiering.input_path('raw_transactions') -%}
    {%- if var('transactions_path') is none and tiering.input_file_versions(transactions_path) | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "No input data: the var transactions_path is not set and there is no demo file at "
            ~ transactions_path ~ ". Run `make demo-data`, or pass your own file with "
            ~ "--vars '{transactions_path: path/to/transactions.csv}'.") }}
    {%- endif -%}
    {%- do run_query('create schema if not exists ' ~ adapter.quote(var('raw_schema'))) -%}
    {%- do tiering.load_input_file('raw_transactions', transactions_path, 'transactions_path') -%}
    {%- set customers_path = tiering.input_path('raw_customers') -%}
    {%- if customers_path is none -%}
        {%- do tiering.create_empty_input('raw_customers') -%}
    {%- else -%}
        {%- do tiering.load_input_file('raw_customers', customers_path, 'customers_path') -%}
    {%- endif -%}
{% endmacro %}

{#- Spark: tables the project creates over the input files (CSV or Parquet, as for DuckDB: the
    vars transactions_path and customers_path, else the demo files), in var('raw_schema'): an
    external table over each file (raw_transactions__files; nothing is copied), and the view
    raw_transactions over it with the contract's columns as text, the file's path as source_file
    and each row's line in its file as source_row_number. Spark reads a path relative to its own
    working folder, so a relative path is made absolute against the project folder. -#}
{% macro spark__prepare_inputs() %}
    {%- do run_query('create schema if not exists ' ~ adapter.quote(var('raw_schema'))) -%}
    {%- do tiering.spark_input_view('raw_transactions', tiering.input_path('raw_transactions'), 'transactions_path') -%}
    {%- set customers_path = tiering.input_path('raw_customers') -%}
    {%- if customers_path is none -%}
        {%- do tiering.create_empty_input('raw_customers') -%}
    {%- else -%}
        {%- do tiering.spark_input_view('raw_customers', customers_path, 'customers_path') -%}
    {%- endif -%}
{% endmacro %}

{#- Spark: the external table over the file(s) at `path` and the view `table_name` over it. -#}
{% macro spark_input_view(table_name, path, var_name) %}
    {%- set path = path | string -%}
    {%- if "'" in path -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var " ~ var_name ~ "=" ~ path ~ ": a path with a quote character is not supported; rename the file.") }}
    {%- endif -%}
    {%- set absolute = path if path.startswith('/') or ':' in path else env_var('TIERING_PROJECT_DIR', env_var('PWD')) ~ '/' ~ path -%}
    {%- set files_table = adapter.quote(var('raw_schema')) ~ '.' ~ adapter.quote(table_name ~ '__files') -%}
    {%- set lowered = path | lower -%}
    {#- The var's encodings by the names Java knows them by. -#}
    {%- set java_charsets = {'latin-1': 'ISO-8859-1'} -%}
    {%- if lowered.endswith('.parquet') -%}
        {%- set reader = "using parquet options (path '" ~ absolute ~ "')" -%}
    {%- elif lowered.endswith('.csv') or lowered.endswith('.csv.gz') or lowered.endswith('.txt') -%}
        {%- set options = ["path '" ~ absolute ~ "'", "header 'true'", "multiLine 'true'", "escape '\"'",
                           "encoding " ~ tiering.string_literal(java_charsets.get(tiering.setting('csv_encoding'),
                                                                    tiering.setting('csv_encoding')))] -%}
        {%- if tiering.setting('csv_delimiter') is not none -%}
            {%- do options.append('sep ' ~ tiering.string_literal(tiering.setting('csv_delimiter'))) -%}
        {%- endif -%}
        {%- set reader = 'using csv options (' ~ options | join(', ') ~ ')' -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var " ~ var_name ~ "=" ~ path ~ ": expected a .csv, .csv.gz, .txt or .parquet file.") }}
    {%- endif -%}
    {%- do tiering.drop_input(table_name) -%}
    {%- do tiering.drop_input(table_name ~ '__files') -%}
    {%- do run_query('create table ' ~ files_table ~ ' ' ~ reader) -%}
    {%- set columns = adapter.get_columns_in_relation(api.Relation.create(
        schema=var('raw_schema'), identifier=table_name ~ '__files')) | map(attribute='name') | list -%}
    {%- do tiering.check_required_columns(table_name, columns, path) -%}
    {%- set present = {} -%}
    {%- for column in columns -%}
        {%- do present.update({column | lower | trim: column}) -%}
    {%- endfor -%}
    {%- set contract = tiering.input_contract(table_name) -%}
    {%- set select_list = [] -%}
    {%- for name in contract.required + contract.optional -%}
        {%- if name == 'source_file' -%}
            {#- The file's path, as DuckDB names it (without Spark's file:// scheme). -#}
            {%- set expression = "regexp_replace(input_file_name(), '^file://', '')" -%}
        {%- elif name == 'source_row_number' -%}
            {#- One file is one partition (multiLine CSV files are not split): its rows' ids rise
                in file order. -#}
            {%- set expression = 'row_number() over (partition by input_file_name() order by monotonically_increasing_id())' -%}
        {%- elif name in present -%}
            {%- set expression = adapter.quote(present[name]) -%}
        {%- else -%}
            {%- set expression = 'null' -%}
        {%- endif -%}
        {%- do select_list.append('cast(' ~ expression ~ ' as string) as ' ~ adapter.quote(name)) -%}
    {%- endfor -%}
    {%- do run_query('create view ' ~ tiering.raw_relation(table_name) ~ ' as select '
        ~ select_list | join(', ') ~ ' from ' ~ files_table) -%}
{% endmacro %}

{#- DuckDB: the path (or glob) of the input `table_name`: the var transactions_path or
    customers_path, else the demo files; none for no customer file. -#}
{% macro input_path(table_name) %}
    {%- set demo_dir = var('demo_data_dir') -%}
    {%- if table_name == 'raw_transactions' -%}
        {{- return(var('transactions_path') or demo_dir ~ '/transactions.csv') -}}
    {%- elif var('customers_path') is not none or var('transactions_path') is not none -%}
        {{- return(var('customers_path')) -}}
    {%- endif -%}
    {{- return(demo_dir ~ '/customers.csv') -}}
{% endmacro %}

{#- DuckDB: the view raw_schema.table_name over the input file(s) that `path` names (a file, or a
    glob such as data/daily/*.csv): nothing is copied. Every file is one branch of the view, with
    the contract's columns as text (an absent optional one as null; other columns are left out),
    the file's name as source_file, its size and modification time as source_file_version, and
    each row's position in its file as source_row_number. base_transaction_rows reads only the files
    it has not loaded yet. -#}
{% macro load_input_file(table_name, path, var_name) %}
    {%- set path = path | string -%}
    {%- if "'" in path -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var " ~ var_name ~ "=" ~ path ~ ": a path with a quote character is not supported; rename the file.") }}
    {%- endif -%}
    {%- set files = tiering.input_file_versions(path) -%}
    {%- if files | length == 0 and tiering.input_file_versions(path.rstrip('/') ~ '/*') | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var " ~ var_name ~ "=" ~ path ~ ": that path is a folder: pass a glob of its files, "
            ~ "e.g. " ~ path.rstrip('/') ~ "/*.csv.") }}
    {%- endif -%}
    {%- for file_name, file_version in files if file_version.startswith('0-') -%}
        {{ exceptions.raise_compiler_error(
            "The input file " ~ file_name ~ " (matched by the var " ~ var_name ~ "=" ~ path ~ ") is empty "
            ~ "(0 bytes): the export wrote nothing. Export it again, or remove it from the folder.") }}
    {%- endfor -%}
    {%- if files | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var " ~ var_name ~ "=" ~ path ~ ": no file matches that path. Pass the path "
            ~ "of an existing CSV or Parquet file (or a glob such as data/daily/*.csv), relative "
            ~ "to the project folder or absolute.") }}
    {%- endif -%}
    {%- set branches = [] -%}
    {%- for file_name, file_version in files if "'" in file_name -%}
        {{ exceptions.raise_compiler_error(
            "The input file " ~ file_name ~ " (matched by the var " ~ var_name ~ "=" ~ path ~ ") has a "
            ~ "quote character in its name, which is not supported; rename the file.") }}
    {%- endfor -%}
    {%- for file_name, file_version in files -%}
        {%- do branches.append(tiering.input_file_branch(table_name, file_name, file_version, var_name)) -%}
    {%- endfor -%}
    {%- do tiering.drop_input(table_name) -%}
    {%- do run_query(
        'create view ' ~ tiering.raw_relation(table_name) ~ ' as '
        ~ branches | join(' union all ')) -%}
{% endmacro %}

{#- DuckDB: the files that `path` matches, in name order, each as [name, version]: its size and
    modification time, so that a file rewritten in place (a late correction) is loaded again. -#}
{% macro input_file_versions(path) %}
    {%- set query = "select filename, cast(size as varchar) || '-' || cast(epoch_us(last_modified) as varchar)"
        ~ " from read_blob('" ~ path ~ "') order by filename" -%}
    {%- set files = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- do files.append([row[0], row[1]]) -%}
    {%- endfor -%}
    {{- return(files) -}}
{% endmacro %}

{#- DuckDB: the select over one input file, in the contract's shape, its columns checked. -#}
{% macro input_file_branch(table_name, file_name, file_version, var_name) %}
    {%- set reader = tiering.file_reader(file_name, var_name) -%}
    {%- set described = run_query('describe select * from ' ~ reader) -%}
    {%- if reader.startswith('read_csv') and tiering.setting('csv_delimiter') is none
            and tiering.missing_required_columns(table_name, described.columns[0].values()) -%}
        {#- DuckDB found no consistent number of fields (it then reads one column, or starts after
            the last odd row): a ragged row does that. Read again with rows padded to the header's
            fields, and keep that reading when it finds the header. -#}
        {%- set padded_reader = tiering.file_reader(file_name, var_name, ['null_padding = true']) -%}
        {%- set padded = run_query('describe select * from ' ~ padded_reader) -%}
        {%- if not tiering.missing_required_columns(table_name, padded.columns[0].values()) -%}
            {%- do tiering.check_no_extra_fields(padded_reader, padded.columns[0].values(), file_name) -%}
            {%- set reader = padded_reader -%}
            {%- set described = padded -%}
        {%- endif -%}
    {%- endif -%}
    {%- set columns = described.columns[0].values() -%}
    {%- set types = {} -%}
    {%- for row in described.rows if row[1] == 'TIMESTAMP WITH TIME ZONE' -%}
        {%- do types.update({row[0] | lower | trim: row[1]}) -%}
    {%- endfor -%}
    {%- do tiering.check_required_columns(table_name, columns, file_name) -%}
    {%- set present = {} -%}
    {%- for column in columns -%}
        {%- do present.update({column | lower | trim: column}) -%}
    {%- endfor -%}
    {%- set contract = tiering.input_contract(table_name) -%}
    {%- set select_list = [] -%}
    {%- for name in contract.required + contract.optional -%}
        {%- if name == 'source_file' -%}
            {#- The file's own name and version, whatever columns it has: the loads depend on them. -#}
            {%- set expression = tiering.string_literal(file_name) -%}
        {%- elif name == 'source_file_version' -%}
            {%- set expression = tiering.string_literal(file_version) -%}
        {%- elif name in present and name in types -%}
            {#- An instant (Parquet timestamp with a time zone): its date and time in the
                business's zone (var timezone), or in UTC without it. -#}
            {%- set expression = "strftime(timezone(" ~ tiering.string_literal(tiering.setting('timezone') or 'UTC')
                ~ ", " ~ adapter.quote(present[name]) ~ "), '%Y-%m-%d %H:%M:%S')" -%}
        {%- elif name in present -%}
            {%- set expression = adapter.quote(present[name]) -%}
        {%- elif name == 'source_row_number' -%}
            {#- Parquet numbers its rows; a CSV file is read in order, one branch per file. -#}
            {%- set expression = 'file_row_number + 1' if reader.startswith('read_parquet')
                else 'row_number() over ()' -%}
        {%- else -%}
            {%- set expression = 'null' -%}
        {%- endif -%}
        {%- do select_list.append('cast(' ~ expression ~ ' as varchar) as ' ~ adapter.quote(name)) -%}
    {%- endfor -%}
    {{- return('select ' ~ select_list | join(', ') ~ ' from ' ~ reader) -}}
{% endmacro %}

{#- DuckDB: the table function that reads `path`, by its extension, with the CSV options of the
    vars csv_delimiter and csv_encoding. -#}
{% macro file_reader(path, var_name, extra_options=[]) %}
    {%- set lowered = path | lower -%}
    {%- if lowered.endswith('.parquet') -%}
        {{- return("read_parquet('" ~ path ~ "')") -}}
    {%- elif not (lowered.endswith('.csv') or lowered.endswith('.csv.gz') or lowered.endswith('.txt')) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var " ~ var_name ~ "=" ~ path ~ ": expected a .csv, .csv.gz, .txt or .parquet file.") }}
    {%- endif -%}
    {%- set options = ['header = true', 'all_varchar = true'] + extra_options -%}
    {%- set delimiter = tiering.setting('csv_delimiter') -%}
    {%- if delimiter is not none -%}
        {%- do options.append('delim = ' ~ tiering.string_literal(delimiter)) -%}
    {%- endif -%}
    {%- set encoding = tiering.setting('csv_encoding') -%}
    {%- if encoding not in ['utf-8', 'utf-16', 'latin-1'] -%}
        {{ exceptions.raise_compiler_error(
            "The var csv_encoding is '" ~ encoding ~ "', which DuckDB's CSV reader cannot decode here "
            ~ "(it reads utf-8, utf-16 and latin-1). Convert the file to UTF-8 first: "
            ~ "`python -m customer_tiering.inputs to-utf8 --encoding " ~ encoding ~ " " ~ path
            ~ " transactions.utf8.csv` (make build does it for you: make build TRANSACTIONS=" ~ path
            ~ " ENCODING=" ~ encoding ~ "), then run with the converted file and csv_encoding: utf-8.") }}
    {%- elif encoding != 'utf-8' -%}
        {%- do options.append("encoding = '" ~ encoding ~ "'") -%}
    {%- endif -%}
    {{- return("read_csv('" ~ path ~ "', " ~ options | join(', ') ~ ")") -}}
{% endmacro %}

{#- DuckDB, a CSV file read with rows padded to its header: a row with more fields than the header
    gets extra columns (column4, ...), and its values cannot be trusted (a field with the delimiter
    that is not quoted shifts the others). Stop, naming the first such line. -#}
{% macro check_no_extra_fields(reader, columns, file_name) %}
    {%- set extra = [] -%}
    {%- for column in columns if modules.re.fullmatch('column[0-9]+', column) -%}
        {%- do extra.append(column) -%}
    {%- endfor -%}
    {%- if extra -%}
        {%- set found = run_query('select line from (select row_number() over () + 1 as line, '
            ~ adapter.quote(extra[0]) ~ ' as extra_field from ' ~ reader ~ ') as numbered'
            ~ ' where extra_field is not null order by line limit 1') -%}
        {{ exceptions.raise_compiler_error(
            "A row of " ~ file_name ~ " has more fields than its header (" ~ (columns | length - extra | length)
            ~ "), first on line " ~ found.columns[0].values()[0] ~ ": a value holding the delimiter must be "
            ~ "quoted ('1,234.00'). Fix the export; rows with fewer fields are read, their missing "
            ~ "values empty.") }}
    {%- endif -%}
{% endmacro %}

{% macro raw_relation(table_name) %}
    {{- return(adapter.quote(var('raw_schema')) ~ '.' ~ adapter.quote(table_name)) -}}
{% endmacro %}

{#- Drop the input table or view raw_schema.table_name, if there is one. -#}
{% macro drop_input(table_name) %}
    {%- do adapter.dispatch('drop_input', 'tiering')(table_name) -%}
{% endmacro %}

{#- Spark (no information_schema in its built-in catalog): through the adapter's catalog. -#}
{% macro spark__drop_input(table_name) %}
    {%- set relation = adapter.get_relation(
        database=none, schema=var('raw_schema'), identifier=table_name) -%}
    {%- if relation is not none -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endif -%}
{% endmacro %}

{#- (The catalog is read with run_query: on DuckDB, adapter.get_relation would open a transaction
    that the hook then rolls back.) -#}
{% macro default__drop_input(table_name) %}
    {%- set found = run_query(
        "select table_type from information_schema.tables where table_schema = "
        ~ tiering.string_literal(var('raw_schema')) ~ " and table_name = " ~ tiering.string_literal(table_name)) -%}
    {%- for table_type in found.columns[0].values() -%}
        {%- do run_query('drop ' ~ ('view' if table_type == 'VIEW' else 'table') ~ ' ' ~ tiering.raw_relation(table_name)) -%}
    {%- endfor -%}
{% endmacro %}

{#- An input table with the contract's columns and no rows (an optional input not given). -#}
{% macro create_empty_input(table_name) %}
    {%- set contract = tiering.input_contract(table_name) -%}
    {%- set columns = [] -%}
    {%- for name in contract.required + contract.optional -%}
        {%- do columns.append(adapter.quote(name) ~ ' ' ~ dbt.type_string()) -%}
    {%- endfor -%}
    {%- do run_query('create schema if not exists ' ~ adapter.quote(var('raw_schema'))) -%}
    {%- do tiering.drop_input(table_name) -%}
    {%- do run_query('create table ' ~ tiering.raw_relation(table_name) ~ ' (' ~ columns | join(', ') ~ ')') -%}
{% endmacro %}

{#- The required columns of the input contract that `columns` (names found in an input, compared
    lower-cased and trimmed) lack. -#}
{% macro missing_required_columns(table_name, columns) %}
    {%- set present = columns | map('lower') | map('trim') | list -%}
    {{- return(tiering.input_contract(table_name).required | reject('in', present) | list) -}}
{% endmacro %}

{% macro check_required_columns(table_name, columns, where) %}
    {%- set present = columns | map('lower') | map('trim') | list -%}
    {%- set required = tiering.input_contract(table_name).required -%}
    {%- set missing = tiering.missing_required_columns(table_name, columns) -%}
    {%- if missing -%}
        {%- set hint = '' -%}
        {%- if present | length == 1 and modules.re.search('[;,|\t]', present[0]) -%}
            {%- set hint = " The whole header was read as one column, so the delimiter was not "
                ~ "recognised: set the var csv_delimiter to the file's delimiter, e.g. --vars "
                ~ "'{csv_delimiter: \";\"}'." -%}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "Missing required column" ~ ('s' if missing | length > 1 else '') ~ " '"
            ~ missing | join("', '") ~ "' in " ~ where ~ " (columns found: " ~ present | join(', ')
            ~ "). The input needs the columns " ~ required | join(', ') ~ ": rename the column"
            ~ ('s' if missing | length > 1 else '') ~ " in the file, or see README 'Bring your own data'."
            ~ hint) }}
    {%- endif -%}
    {%- if table_name == 'raw_transactions' and tiering.setting('pyramid_basis') == 'profit' and 'cost' not in present -%}
        {{ exceptions.raise_compiler_error(
            "The var pyramid_basis is 'profit' but " ~ where ~ " has no cost column. Add a cost "
            ~ "column to the input, or use pyramid_basis: revenue.") }}
    {%- endif -%}
{% endmacro %}

{#- The var pyramid_basis is 'profit' but no row of the loaded transactions has a cost: every
    customer would tie with profit 0. Stop before any model. -#}
{% macro check_cost_values() %}
    {%- if tiering.setting('pyramid_basis') == 'profit' -%}
        {%- set relation = tiering.raw_relation('raw_transactions') -%}
        {%- set query = "select count(*) from " ~ relation ~ " where nullif(trim(cast(cost as "
            ~ dbt.type_string() ~ ")), '') is not null" -%}
        {%- if run_query(query).columns[0].values()[0] == 0 -%}
            {{ exceptions.raise_compiler_error(
                "The var pyramid_basis is 'profit' but the cost column of " ~ relation ~ " is empty "
                ~ "in every row, so every customer's profit would be 0. Fill the cost column, or use "
                ~ "pyramid_basis: revenue.") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
