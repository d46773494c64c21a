{#- dbt_utils' unique_combination_of_columns: no two rows share the values of all the given
    columns. A failing row is one such combination, with how often it occurs. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

combinations as (
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
)

select * from combinations

{% endtest %}
