{#- Post-hook of tier_backtest (`relation`): log the verdict of the latest period end whose horizon
    is over, for the top pyramid tier, e.g. "Back-test: the pyramid's A customers of 2026-03-31,
    1.0 % of the buyers, brought 28.5 % of the buyers' revenue of the next 3 periods: lift 28.5x
    (rank correlation of value and next revenue: 0.63)." (The pyramid classifies the buyers.) -#}
{% macro log_backtest_verdict(relation) %}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set found = run_query('select as_of_date, customer_share, next_revenue_share, lift,'
        ~ ' value_rank_correlation, horizon_periods from ' ~ relation
        ~ " where scheme = 'pyramid_tier' and segment = 'A' and is_horizon_complete"
        ~ ' order by as_of_date desc limit 1').rows -%}
    {%- if found | length == 0 -%}
        {%- do log('Back-test: no period end has a complete horizon of '
            ~ tiering.setting('backtest_horizon_periods') ~ ' periods yet.', info=true) -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set day, customer_share, revenue_share, lift, correlation, horizon = found[0] -%}
    {%- do log('Back-test: the pyramid\'s A customers of ' ~ day ~ ', '
        ~ '%.1f' | format(100 * customer_share) ~ ' % of the buyers, brought '
        ~ '%.1f' | format(100 * (revenue_share or 0)) ~ ' % of the buyers\' revenue of the next ' ~ horizon
        ~ ' periods: lift ' ~ ('%.1f' | format(lift) if lift is not none else 'n/a')
        ~ 'x (rank correlation of value and next revenue: '
        ~ ('%.2f' | format(correlation) if correlation is not none else 'n/a') ~ ').', info=true) -%}
    {{- return('') -}}
{% endmacro %}
