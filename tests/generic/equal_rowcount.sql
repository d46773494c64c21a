{#- Fails when `model` and `compare_model` hold different numbers of rows (one failing row with
    both counts). Named after dbt_utils.equal_rowcount. -#}
{% test equal_rowcount(model, compare_model) %}

with

counts as (
    select
        (select count(*) from {{ model }}) as model_rows,
        (select count(*) from {{ compare_model }}) as compare_model_rows
)

select * from counts
where model_rows <> compare_model_rows

{% endtest %}
