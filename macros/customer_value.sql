{#- Customer value (domain.md "Customer value", docs/value.md): the rules, one macro each, over a
    customer's days as of one as-of date, so that a model of another as-of date reuses them.

    purchase_day_measures: the aggregates of one customer's transactions of one day (grouped by
    customer and day by the caller). A purchase day is a day with at least one purchase (amount >
    0); its value is the sum of that day's purchases. Refunds count in the day's net amount and
    profit (historical CLV) but never make a purchase day. -#}
{% macro purchase_day_measures() -%}
    sum(case when amount > 0 then amount else 0 end) as purchase_value,
    sum(case when amount > 0 then 1 else 0 end) as purchases,
    sum(amount) as net_amount,
    sum(amount - coalesce(cost, 0)) as net_profit,
    count(cost) as rows_with_cost
{%- endmacro %}

{#- The BTYD summary of a customer from its days (purchase_day_measures, with the customer's
    `first_purchase_date` on every day), aggregated per customer: purchase_days, frequency (repeat
    purchase days: purchase days after the first), first and last purchase dates and the mean
    value of the repeat purchase days (0 without one, as CLV libraries expect). -#}
{% macro btyd_summary() -%}
    sum(case when purchases > 0 then 1 else 0 end) as purchase_days,
    sum(case when purchases > 0 then 1 else 0 end) - 1 as frequency,
    min(first_purchase_date) as first_purchase_date,
    max(case when purchases > 0 then transaction_date end) as last_purchase_date,
    sum(purchase_value) as purchase_value,
    coalesce(
        sum(case when transaction_date > first_purchase_date then purchase_value end)
        / nullif(sum(case when transaction_date > first_purchase_date and purchases > 0 then 1 else 0 end), 0),
        0
    ) as mean_repeat_value
{%- endmacro %}

{#- Purchase days per year of a customer: its purchase days over its age in days (first purchase
    to the as-of date, both counted), and over at least a year, so that a customer of one week is
    not taken to buy 52 times a year. -#}
{% macro purchases_per_year(purchase_days, age_days) -%}
    cast({{ purchase_days }} as {{ tiering.type_double() }}) * 365
    / (case when {{ age_days }} + 1 < 365 then 365 else {{ age_days }} + 1 end)
{%- endmacro %}

{#- Expected customer lifetime in years: the var when set, else 1 / (1 - retention rate), the
    mean of a geometric lifetime with that yearly retention (null when retention is 1 or null). -#}
{% macro expected_lifetime_years(retention_rate, lifetime_var) -%}
    {%- if lifetime_var is not none -%}
        cast({{ tiering.decimal_literal(lifetime_var) }} as {{ tiering.type_double() }})
    {%- else -%}
        1 / nullif(1 - {{ retention_rate }}, 0)
    {%- endif -%}
{%- endmacro %}

{#- Simple predictive CLV (document 003): average purchase value x purchases per year x expected
    lifetime in years. -#}
{% macro simple_clv(average_value, per_year, lifetime_years) -%}
    {{ average_value }} * {{ per_year }} * {{ lifetime_years }}
{%- endmacro %}

{#- Retention CLV (document 000): yearly margin x retention / (1 + discount - retention), the
    discounted value of a margin kept each year with probability `retention`. -#}
{% macro retention_clv(yearly_margin, retention_rate, discount_rate) -%}
    {{ yearly_margin }} * {{ retention_rate }}
    / (1 + {{ tiering.decimal_literal(discount_rate) }} - {{ retention_rate }})
{%- endmacro %}

{#- CLV band of a customer ranked by value (rank() descending, as the pyramid): high for ranks
    within the first cut point's share of the N customers, medium within the second, low for the
    rest (default 20 % and 50 %); null without a rank (no value). -#}
{% macro clv_band(rank_column, customer_count, cut_points) -%}
    {%- if cut_points | length != 2 -%}
        {{ exceptions.raise_compiler_error(
            "clv_band: cut_points must hold 2 cumulative shares (high, medium), got " ~ cut_points) }}
    {%- endif -%}
    case
        when {{ rank_column }} is null then null
        {%- for band in ['high', 'medium'] %}
        when {{ rank_column }} <= ceil({{ tiering.decimal_literal(cut_points[loop.index0]) }} * {{ customer_count }})
            then '{{ band }}'
        {%- endfor %}
        else 'low'
    end
{%- endmacro %}
