{#- Fails on every row of `model` for which `expression` (SQL over its columns) is not true: false,
    and also null, so that an expression over a column left null by mistake cannot pass unseen
    (dbt_utils.expression_is_true, which it is named after, lets null pass). Narrow the rows with
    the test's `where` config. -#}
{% test expression_is_true(model, expression) %}

with

checked_rows as (
    select
        *,
        case when {{ expression }} then 1 else 0 end as is_true
    from {{ model }}
)

select * from checked_rows
where is_true = 0

{% endtest %}
