{#- The key of keyed_hash, as an SQL expression (null when none is set). It never appears in the
    SQL text dbt writes to target/ and logs/: DuckDB reads the variable tiering_hash_key, which
    the project's dbt-duckdb plugin (customer_tiering/duckdb_plugin.py) sets on every connection
    from the environment variable TIERING_HASH_KEY; PostgreSQL reads the setting tiering.hash_key
    of the session (PGOPTIONS='-c tiering.hash_key=...', which make nightly sets from
    TIERING_HASH_KEY, or ALTER ROLE ... SET tiering.hash_key). -#}
{% macro hash_key() %}
    {{- return(adapter.dispatch('hash_key', 'tiering')()) -}}
{% endmacro %}

{% macro default__hash_key() %}
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

{#- PostgreSQL: pgcrypto's hmac (prepare_hash_key creates the extension). -#}
{% macro default__keyed_hash(expression, key) -%}
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

{#- on-run-start (PostgreSQL): when a key is set, the pgcrypto extension that hmac() needs. -#}
{% macro prepare_hash_key() %}
    {%- if execute and target.type != 'duckdb' and tiering.builds_models() -%}
        {%- set key_is_set = run_query('select ' ~ tiering.hash_key() ~ ' is not null').columns[0].values()[0] -%}
        {%- if key_is_set -%}
            {%- do run_query('create extension if not exists pgcrypto') -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
