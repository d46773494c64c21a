{#- The key of keyed_hash, as an SQL expression (null when none is set). It never appears in the
    SQL text dbt writes to target/ and logs/: DuckDB reads the variable tiering_hash_key, which
    the project's dbt-duckdb plugin (customer_tiering/duckdb_plugin.py) sets on every connection
    from the environment variable TIERING_HASH_KEY; PostgreSQL reads the setting tiering.hash_key
    of the session (PGOPTIONS='-c tiering.hash_key=...', which make nightly sets from
    TIERING_HASH_KEY, or ALTER ROLE ... SET tiering.hash_key). -#}
{% macro hash_key() %}
    {{- return(adapter.dispatch('hash_key', 'tiering')()) -}}
{% endmacro %}

{#- An engine without a keyed hash here (Spark SQL has no HMAC; others are untested): no key, so
    no email hash (README, "Engines"). -#}
{% macro default__hash_key() %}
    {{- return('cast(null as ' ~ dbt.type_string() ~ ')') -}}
{% endmacro %}

{% macro postgres__hash_key() %}
    {{- return("nullif(current_setting('tiering.hash_key', true), '')") -}}
{% endmacro %}

{% macro duckdb__hash_key() %}
    {{- return("nullif(getvariable('tiering_hash_key'), '')") -}}
{% endmacro %}


{#- HMAC-SHA256 of the text `expression` with the key `key` (an SQL expression, normally
    hash_key()), as 64 hex digits: without the key nobody can hash a guessed address to find it
    (an unkeyed md5 can be reversed so). Null when the text or the key is null. A model passes
    hash_key() itself, so that a unit test can override it with a fixed key. -#}
{% macro keyed_hash(expression, key) %}
    {{- return(adapter.dispatch('keyed_hash', 'tiering')(expression, key)) -}}
{% endmacro %}

{#- An engine without a keyed hash here: null (default__hash_key). -#}
{% macro default__keyed_hash(expression, key) -%}
    cast(null as {{ dbt.type_string() }})
{%- endmacro %}

{#- PostgreSQL: pgcrypto's hmac (prepare_hash_key makes sure the extension is there). -#}
{% macro postgres__keyed_hash(expression, key) -%}
    encode(hmac(convert_to({{ expression }}, 'UTF8'), convert_to({{ key }}, 'UTF8'), 'sha256'), 'hex')
{%- endmacro %}

{#- DuckDB: RFC 2104 written out: the key as 64 bytes (hashed first when longer, else padded with
    zeros), XOR-ed with the inner and outer pads as bit strings. -#}
{% macro duckdb__keyed_hash(expression, key) -%}
    {%- set key = 'encode(' ~ key ~ ')' -%}
    {%- set short_key = 'case when octet_length(' ~ key ~ ') > 64 then unhex(sha256(' ~ key ~ ')) else '
        ~ key ~ ' end' -%}
    {%- set block = '(' ~ short_key ~ " || repeat('\\x00'::blob, 64 - octet_length(" ~ short_key ~ ')))' -%}
    {%- set inner_key = 'cast(xor(cast(' ~ block ~ " as bit), cast(repeat('\\x36'::blob, 64) as bit)) as blob)" -%}
    {%- set outer_key = 'cast(xor(cast(' ~ block ~ " as bit), cast(repeat('\\x5c'::blob, 64) as bit)) as blob)" -%}
    sha256({{ outer_key }} || unhex(sha256({{ inner_key }} || encode({{ expression }}))))
{%- endmacro %}

{#- on-run-start, in commands that build models: the pgcrypto extension that keyed_hash needs on
    PostgreSQL, created when missing; a clear error when it cannot
    be (not available on the server, or this role may not create it). -#}
{% macro prepare_hash_key() %}
    {%- if execute and target.type == 'postgres' and tiering.builds_models() -%}
        {%- set found = run_query(
            "select (select count(*) from pg_extension where extname = 'pgcrypto'),"
            ~ " (select count(*) from pg_available_extensions where name = 'pgcrypto'),"
            ~ " has_database_privilege(current_database(), 'CREATE')").rows[0] -%}
        {%- if found[0] == 0 and found[1] > 0 and found[2] -%}
            {%- do run_query('create extension if not exists pgcrypto') -%}
        {%- elif found[0] == 0 -%}
            {{ exceptions.raise_compiler_error(
                "The keyed email hash (stg_customers.email_hash) needs the extension pgcrypto in database "
                ~ target.dbname ~ ", and "
                ~ ("this server does not have it: install the server's contrib package (Debian: postgresql-contrib)"
                    if found[1] == 0 else "this role may not create it: ask the database owner to run "
                    ~ "`create extension pgcrypto`") ~ ".") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
