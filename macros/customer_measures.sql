{#- The measures of a customer as of a day, from their transactions (int_customer_metrics).

    transaction_flags: the select list that marks a transaction dated `date_column` against one
    as-of date, given the as-of date and the last days before the RFM window and the lifecycle's
    two periods (SQL expressions; rfm_window_floor): is_purchase, is_in_window, is_recent,
    is_previous. Rows dated after the as-of date are left out by the caller.

    customer_measures: the aggregates over a customer's flagged transactions (grouped by the
    caller). With `weight` (an expression, +1 or -1 per row) the sums add and subtract rows, so a
    customer's measures are updated by the rows that entered or left a period since they were
    computed; first and last purchase dates are then taken over the rows of weight +1. -#}
{% macro transaction_flags(date_column, as_of_date, window_floor, recent_floor, previous_floor, period_start=none) -%}
    amount > 0 as is_purchase,
    {%- if period_start is not none %}
    {{ date_column }} >= {{ period_start }} as is_in_period,
    {%- endif %}
    {{ tiering.is_in_rfm_window(date_column, as_of_date, tiering.setting('rfm_window_days'),
        window_floor=window_floor) }} as is_in_window,
    {{ date_column }} > {{ recent_floor }} as is_recent,
    {{ date_column }} > {{ previous_floor }} and {{ date_column }} <= {{ recent_floor }} as is_previous
{%- endmacro %}

{% macro customer_measures(weight=none) -%}
    {%- set counted = weight or '1' -%}
    {%- set weighted = weight ~ ' * ' if weight else '' -%}
    {%- set purchase = 'is_purchase and ' ~ weight ~ ' > 0' if weight else 'is_purchase' -%}
    min(case when {{ purchase }} then transaction_date end) as first_purchase_date,
    max(case when {{ purchase }} then transaction_date end) as last_purchase_date,
    sum(case when is_purchase and is_in_window then {{ counted }} else 0 end) as frequency,
    sum(case when is_in_window then {{ weighted }}amount else 0 end) as monetary,
    sum(case when is_in_window then {{ weighted }}(amount - coalesce(cost, 0)) else 0 end) as profit,
    sum({{ weighted }}amount) as lifetime_revenue,
    sum(case when is_purchase then {{ counted }} else 0 end) as lifetime_purchases,
    sum(case when is_recent then {{ weighted }}amount else 0 end) as recent_spend,
    sum(case when is_recent and is_purchase then {{ counted }} else 0 end) as recent_purchases,
    sum(case when is_previous then {{ weighted }}amount else 0 end) as previous_spend,
    sum(case when is_previous and is_purchase then {{ counted }} else 0 end) as previous_purchases,
    {%- if weight %}
    sum(case when cost is not null then {{ weight }} else 0 end) as rows_with_cost
    {%- else %}
    count(cost) as rows_with_cost
    {%- endif %}
{%- endmacro %}

{#- The aggregates of a customer's transactions in the period ending on the as-of date (history):
    its revenue (net of refunds) and purchases; transaction_flags with a period_start marks them. -#}
{% macro period_measures() -%}
    sum(case when is_in_period then amount else 0 end) as period_revenue,
    sum(case when is_in_period and is_purchase then 1 else 0 end) as period_purchases
{%- endmacro %}

{#- The transactions of a customer from the cleaned rows of `lines` (stg_transactions' columns):
    under transaction_grain 'line' the order lines sharing a transaction id are one transaction
    (amounts and costs summed, `extra_columns` their maximum). Under the default grain a
    transaction id is already unique (the duplicate rule), so the lines are taken as they are:
    grouping 100 M ids by themselves would cost three times the rest of int_customer_metrics. -#}
{% macro transactions_at_grain(lines, extra_columns=[]) -%}
    select
        customer_id,
        transaction_id,
        transaction_date,
    {%- if tiering.setting('transaction_grain') == 'line' %}
        sum(amount) as amount,
        sum(cost) as cost
        {%- for column in extra_columns %},
        max({{ column }}) as {{ column }}
        {%- endfor %}
    from {{ lines }}
    group by customer_id, transaction_id, transaction_date
    {%- else %}
        amount,
        cost
        {%- for column in extra_columns %},
        {{ column }}
        {%- endfor %}
    from {{ lines }}
    {%- endif %}
{%- endmacro %}

{#- Whole days from `date_column` to `as_of_date` (SQL expressions), an integer: recency and tenure. -#}
{% macro days_to_as_of(date_column, as_of_date) -%}
    cast({{ dbt.datediff(date_column, as_of_date, 'day') }} as {{ dbt.type_int() }})
{%- endmacro %}
