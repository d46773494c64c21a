{#- A CTE hint, `materialized` or `not materialized`, where the engine takes one (DuckDB,
    PostgreSQL 12+); nothing elsewhere. A query that reads one costly CTE several times
    computes it once with `materialized`; a cheap CTE read twice is better recomputed than
    written out (`not materialized`). Only speed changes, never the result. -#}
{% macro materialization_hint(hint) %}
    {%- if hint not in ['materialized', 'not materialized'] -%}
        {{ exceptions.raise_compiler_error(
            "materialization_hint: expected 'materialized' or 'not materialized', got '" ~ hint ~ "'.") }}
    {%- endif -%}
    {{- return(adapter.dispatch('materialization_hint', 'tiering')(hint)) -}}
{% endmacro %}

{% macro default__materialization_hint(hint) %}
    {{- return('') -}}
{% endmacro %}

{% macro duckdb__materialization_hint(hint) %}
    {{- return(hint) -}}
{% endmacro %}

{% macro postgres__materialization_hint(hint) %}
    {{- return(hint) -}}
{% endmacro %}

{#- Redshift takes PostgreSQL's macros by default, but not this hint. -#}
{% macro redshift__materialization_hint(hint) %}
    {{- return('') -}}
{% endmacro %}
