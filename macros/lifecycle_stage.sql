{#- The lifecycle stage of a customer (docs/schemes.md): the first rule that applies of prospect
    (no purchase on or before the as-of date), churned, new, declining, growing, mature. Every
    argument is a SQL expression, by default the column of that name (customer_tiers' columns);
    the thresholds are the lifecycle_* vars. Exact: spends are decimals, and the interval rule is
    compared multiplied out, recency * (purchases - 1) > factor * (last - first purchase), where
    last - first = tenure - recency. -#}
{% macro lifecycle_stage(
    last_purchase_date='last_purchase_date',
    recency_days='recency_days',
    tenure_days='tenure_days',
    lifetime_purchases='lifetime_purchases',
    recent_spend='recent_spend',
    previous_spend='previous_spend',
    recent_purchases='recent_purchases',
    previous_purchases='previous_purchases'
) -%}
    {#- Ratios as exact decimal literals (decimal_literal), never floats. -#}
    {%- set decline_ratio = tiering.decimal_literal(tiering.setting('lifecycle_decline_ratio')) -%}
    {%- set growth_ratio = tiering.decimal_literal(tiering.setting('lifecycle_growth_ratio')) -%}
    {%- set overdue_factor = tiering.decimal_literal(tiering.setting('lifecycle_overdue_factor')) -%}
    case
        when {{ last_purchase_date }} is null then 'prospect'
        when {{ recency_days }} >= {{ tiering.setting('lifecycle_churn_days') }} then 'churned'
        when {{ tenure_days }} < {{ tiering.setting('lifecycle_new_days') }} then 'new'
        when
            ({{ previous_spend }} > 0 and {{ recent_spend }} <= {{ decline_ratio }} * {{ previous_spend }})
            or (
                {{ previous_purchases }} > 0
                and {{ recent_purchases }} <= {{ decline_ratio }} * {{ previous_purchases }}
            )
            or (
                {{ lifetime_purchases }} >= 2
                and {{ recency_days }} * ({{ lifetime_purchases }} - 1)
                > {{ overdue_factor }} * ({{ tenure_days }} - {{ recency_days }})
            )
            then 'declining'
        -- After a period of no spend or net refunds, any positive recent spend is growth.
        when
            {{ recent_spend }} > 0
            and {{ recent_spend }} >= {{ growth_ratio }} * {{ previous_spend }}
            then 'growing'
        else 'mature'
    end
{%- endmacro %}
