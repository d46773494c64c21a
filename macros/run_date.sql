{#- The day the run happens, as a date literal: the date in the var timezone (the business's
    zone) when dbt started, or, without it, the latest date anywhere on Earth (UTC+14), so that no
    row dated today is taken for the future wherever the business is. Rows dated after it are
    rejected as transaction_date_in_future. -#}
{% macro run_date() %}
    {%- set zone = tiering.setting('timezone') -%}
    {%- set local_start = run_started_at.astimezone(
        modules.pytz.timezone(zone) if zone is not none else modules.pytz.FixedOffset(14 * 60)) -%}
    {{- return(tiering.date_literal(local_start.strftime('%Y-%m-%d'), 'run date')) -}}
{% endmacro %}
