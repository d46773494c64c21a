{#- A date from ISO text, or null when the text is not a real calendar date (2023-02-30). -#}
{% macro try_cast_date(expression) %}
    {{- return(adapter.dispatch('try_cast_date', 'tiering')(expression)) -}}
{% endmacro %}

{% macro default__try_cast_date(expression) -%}
    try_cast({{ expression }} as date)
{%- endmacro %}

{% macro bigquery__try_cast_date(expression) -%}
    safe_cast({{ expression }} as date)
{%- endmacro %}

{#- PostgreSQL has no try_cast: a small function created by prepare_inputs() catches the error. -#}
{% macro postgres__try_cast_date(expression) -%}
    {{ target.schema }}.tiering_try_cast_date({{ expression }})
{%- endmacro %}

{% macro create_try_cast_date_function() %}
    {{- return(adapter.dispatch('create_try_cast_date_function', 'tiering')()) -}}
{% endmacro %}

{% macro default__create_try_cast_date_function() %}{% endmacro %}

{% macro postgres__create_try_cast_date_function() %}
    {% call statement('create_try_cast_date_function') %}
        create schema if not exists {{ target.schema }};
        create or replace function {{ target.schema }}.tiering_try_cast_date(value text)
        returns date language plpgsql immutable parallel safe as $$
        begin
            return value::date;
        exception when others then
            return null;
        end;
        $$;
    {% endcall %}
{% endmacro %}
