{#- A table: the RFM scores, the pyramid and the tests of all three read it, so the one
    aggregation over every transaction runs once per build instead of once per reader. -#}
{{ config(materialized='table') }}

with

transaction_lines as (
    select
        transaction_id,
        customer_id,
        transaction_date,
        amount,
        cost
    from {{ ref('stg_transactions') }}
),

-- Order lines sharing a transaction id are one transaction (transaction_grain: line). Under the
-- default grain a transaction id is already unique (the duplicate rule), so the lines are taken
-- as they are: grouping 100 M ids by themselves would cost three times the rest of the model.
transactions as (
    select
        customer_id,
        transaction_id,
        transaction_date,
    {%- if tiering.setting('transaction_grain') == 'line' %}
        sum(amount) as amount,
        sum(cost) as cost
    from transaction_lines
    group by customer_id, transaction_id, transaction_date
    {%- else %}
        amount,
        cost
    from transaction_lines
    {%- endif %}
),

as_of as (
    {{ tiering.as_of_date('transactions', tiering.setting('as_of_date')) }}
),

cost_coverage as (
    select count(cost) > 0 as has_cost from transactions
),

transactions_to_date as (
    select
        transactions.customer_id,
        transactions.transaction_date,
        transactions.amount,
        transactions.cost,
        as_of.as_of_date,
        transactions.amount > 0 as is_purchase,
        {{ tiering.is_in_rfm_window(
            'transactions.transaction_date', 'as_of.as_of_date', tiering.setting('rfm_window_days')) }} as is_in_window
    from transactions
    cross join as_of
    where transactions.transaction_date <= as_of.as_of_date
),

customer_totals as (
    select
        customer_id,
        as_of_date,
        min(case when is_purchase then transaction_date end) as first_purchase_date,
        max(case when is_purchase then transaction_date end) as last_purchase_date,
        sum(case when is_purchase and is_in_window then 1 else 0 end) as frequency,
        sum(case when is_in_window then amount else 0 end) as monetary,
        sum(case when is_in_window then amount - coalesce(cost, 0) else 0 end) as profit,
        sum(amount) as lifetime_revenue
    from transactions_to_date
    group by customer_id, as_of_date
),

final as (
    select
        customer_totals.customer_id,
        customer_totals.as_of_date,
        customer_totals.first_purchase_date,
        customer_totals.last_purchase_date,
        cast(
            {{ dbt.datediff(
                'customer_totals.last_purchase_date', 'customer_totals.as_of_date', 'day'
            ) }} as {{ dbt.type_int() }}
        ) as recency_days,
        cast(customer_totals.frequency as {{ dbt.type_int() }}) as frequency,
        cast(customer_totals.monetary as {{ dbt.type_numeric() }}) as monetary,
        cast(
            case when cost_coverage.has_cost then customer_totals.profit end
            as {{ dbt.type_numeric() }}
        ) as profit,
        cast(customer_totals.lifetime_revenue as {{ dbt.type_numeric() }}) as lifetime_revenue
    from customer_totals
    cross join cost_coverage
    where customer_totals.last_purchase_date is not null
)

select * from final
