-- Warns when more than the var lapsed_share_warn (default 40 %) of the customers have no purchase
-- in the RFM window (frequency 0), among the buyers (customers with a purchase on or before the as-of
-- date). F and M then describe a minority, R <= 2 holds only lapsed
-- customers and the churn-risk cells stay empty. Fix: widen the var rfm_window_days, or set it to
-- null to score all history. Returns one row with the figures when the share is above the var.
{{ config(severity='warn') }}

with

customer_frequencies as (
    select frequency
    from {{ ref('customer_tiers') }}
    where last_purchase_date is not null
),

lapsed_customers as (
    select
        count(*) as customers,
        sum(case when frequency = 0 then 1 else 0 end) as customers_without_purchase_in_window
    from customer_frequencies
)

select
    customers,
    customers_without_purchase_in_window,
    'widen the var rfm_window_days (e.g. 1095), or set it to null to score all history' as fix
from lapsed_customers
where customers_without_purchase_in_window > {{ tiering.setting('lapsed_share_warn') }} * customers
