{#- dbt-duckdb's temporary relation of an incremental run (its materialization calls this macro by
    name, so the project's definition replaces the adapter's). A model configured with
    `meta: {temp_relation_on_disk: true}` gets a table of its own schema instead, dropped by the
    materialization after the run: DuckDB keeps a temporary table in memory, and the 25 M rows of
    the history at 10 M transactions did not fit there. Every other model keeps the adapter's
    temporary table. -#}
{% macro duckdb__dispatch_temporary_relation(target_relation, batch_id='') %}
    {%- if (config.get('meta') or {}).get('temp_relation_on_disk', false) and not adapter.is_motherduck() -%}
        {%- set relation = target_relation.incorporate(
            path={'identifier': target_relation.identifier ~ '__dbt_tmp' ~ batch_id}) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {{- return({'relation': relation, 'temporary': false}) -}}
    {%- endif -%}
    {{- return(dbt.duckdb__dispatch_temporary_relation(target_relation, batch_id)) -}}
{% endmacro %}
