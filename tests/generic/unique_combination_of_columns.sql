{#- dbt_utils' unique_combination_of_columns: no two rows share the values of all the given
    columns. A failing row is one such combination, with how often it occurs. by_sorting=true
    finds repeats by sorting instead (each row against the one before it in key order, the last
    column compared within the others): slower, but it spills to disk where a hash aggregate of
    very many keys over a view of files can exhaust DuckDB's memory limit; a failing row is then
    each repeated row after the first. sort_buckets=N (the last column an integer) sorts N
    buckets of it apart, which engines sort in parallel: repeats share a bucket. -#}
{% test unique_combination_of_columns(model, combination_of_columns, by_sorting=false, sort_buckets=none) %}
{%- set columns = combination_of_columns | join(', ') %}
{%- set last = combination_of_columns[-1] %}
{%- set others = combination_of_columns[:-1] %}
{%- set partition = others + (['mod(' ~ last ~ ', ' ~ sort_buckets ~ ')'] if sort_buckets else []) %}

with

{%- if by_sorting %}

ordered as (
    select
        {{ columns }},
        lag({{ last }}) over (
            {%- if partition %}
            partition by {{ partition | join(', ') }}
            {%- endif %}
            order by {{ last }}
        ) as previous_value
    from {{ model }}
),

combinations as (
    select
        {{ columns }},
        2 as occurrences
    from ordered
    where previous_value = {{ last }}
)

{%- else %}

combinations as (
    select
        {{ columns }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
)

{%- endif %}

select * from combinations

{% endtest %}
