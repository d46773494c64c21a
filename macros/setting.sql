{#- The value of a project var, checked. Models and tests read vars through this macro, so a bad
    value stops the run - already when dbt parses the project, and again in the on-run-start hook
    validate_vars() - with a message that names the var and the fix, before any table is
    replaced. -#}
{% macro setting(name) %}
    {%- set value = var(name) -%}
    {%- if name in ['as_of_date', 'earliest_valid_date'] -%}
        {%- if value is not none -%}
            {%- do tiering.parse_date_var(name, value) -%}
        {%- endif -%}
    {%- elif name == 'rfm_window_days' -%}
        {%- if value is not none and not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value,
                'a whole number of days of at least 1, e.g. 365, or null to score all history') }}
        {%- endif -%}
    {%- elif name == 'pyramid_basis' -%}
        {%- do tiering.check_choice(name, value, ['revenue', 'profit']) -%}
    {%- elif name == 'transaction_grain' -%}
        {%- do tiering.check_choice(name, value, ['transaction', 'line']) -%}
    {%- elif name == 'pyramid_cut_points' -%}
        {%- do tiering.check_cut_points(name, value, [0.01, 0.05, 0.20]) -%}
    {%- elif name == 'pareto_cut_points' -%}
        {%- do tiering.check_cut_points(name, value, [0.80, 0.95]) -%}
    {%- elif name in ['reject_share_warn', 'reject_share_error', 'lapsed_share_warn'] -%}
        {%- if value is not number or value is boolean or value < 0 or value > 1 -%}
            {{ tiering.raise_var_error(name, value, 'a share between 0 and 1, e.g. 0.05') }}
        {%- endif -%}
        {%- if name == 'reject_share_error' and value < tiering.setting('reject_share_warn') -%}
            {{ tiering.raise_var_error(name, value,
                'a share at least as large as reject_share_warn (' ~ var('reject_share_warn') ~ ')') }}
        {%- endif -%}
    {%- elif name == 'date_formats' -%}
        {{- return(tiering.check_date_formats(name, value)) -}}
    {%- elif name in ['decimal_separator', 'thousands_separator'] -%}
        {%- do tiering.check_separators() -%}
    {%- elif name == 'csv_delimiter' -%}
        {%- if value is not none and (value is not string or value | length != 1 or value in ['"', "'"]) -%}
            {{ tiering.raise_var_error(name, value, "one character such as ';' or '|', or null to detect it") }}
        {%- endif -%}
    {%- elif name in ['lifecycle_new_days', 'lifecycle_churn_days', 'lifecycle_period_days'] -%}
        {%- if not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of days of at least 1, e.g. 90') }}
        {%- endif -%}
    {%- elif name == 'lifecycle_growth_ratio' -%}
        {%- if value is not number or value is boolean or value < 1 -%}
            {{ tiering.raise_var_error(name, value, 'a ratio of at least 1, e.g. 1.2 (spend up 20 %)') }}
        {%- endif -%}
    {%- elif name == 'lifecycle_decline_ratio' -%}
        {%- if value is not number or value is boolean or value <= 0 or value > 1 -%}
            {{ tiering.raise_var_error(name, value, 'a ratio above 0 and at most 1, e.g. 0.8 (down 20 %)') }}
        {%- endif -%}
    {%- elif name == 'lifecycle_overdue_factor' -%}
        {%- if value is not number or value is boolean or value <= 0 -%}
            {{ tiering.raise_var_error(name, value, 'a number above 0, e.g. 2 (twice the usual interval)') }}
        {%- endif -%}
    {%- elif name in ['grade_value_min_m_score', 'grade_loyalty_min_f_score'] -%}
        {%- if not tiering.is_whole_number(value, 1) or value > 5 -%}
            {{ tiering.raise_var_error(name, value, 'a score from 1 to 5, e.g. 4') }}
        {%- endif -%}
    {%- elif name == 'grade_loyalty_min_tenure_days' -%}
        {%- if not tiering.is_whole_number(value, 0) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of days of at least 0, e.g. 365') }}
        {%- endif -%}
    {%- elif name == 'grade_loyalty_min_purchases' -%}
        {%- if not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of purchases of at least 1, e.g. 2') }}
        {%- endif -%}
    {%- elif name == 'tier_within' -%}
        {{- return(tiering.check_tier_within(name, value)) -}}
    {%- elif name == 'segment_min_customers' -%}
        {%- if not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of customers of at least 1, e.g. 50') }}
        {%- endif -%}
    {%- elif name == 'segment_min_difference' -%}
        {%- if value is not number or value is boolean or value < 0 or value >= 1 -%}
            {{ tiering.raise_var_error(name, value, 'a share of at least 0 and below 1, e.g. 0.1 (10 %)') }}
        {%- endif -%}
    {%- elif name == 'history_grain' -%}
        {%- do tiering.check_choice(name, value, ['week', 'month', 'quarter', 'year']) -%}
    {%- elif name == 'history_periods' -%}
        {%- if value is not none and not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value,
                'a whole number of periods of at least 1, e.g. 24, or null for the whole history') }}
        {%- endif -%}
    {%- elif name == 'backtest_horizon_periods' -%}
        {%- if not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of periods of at least 1, e.g. 3') }}
        {%- endif -%}
    {%- elif name == 'verify_every_row' -%}
        {%- if value is not boolean -%}
            {{ tiering.raise_var_error(name, value, 'true or false') }}
        {%- endif -%}
    {%- elif name == 'timezone' -%}
        {%- if value is not none and (value is not string or value not in modules.pytz.all_timezones_set) -%}
            {{ tiering.raise_var_error(name, value,
                'a time zone name of the IANA database, e.g. Asia/Shanghai or Europe/Berlin, or null') }}
        {%- endif -%}
    {%- elif name in ['freshness_warn_days', 'freshness_error_days'] -%}
        {%- if not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of days of at least 1, e.g. 2') }}
        {%- endif -%}
        {%- if name == 'freshness_error_days' and value < tiering.setting('freshness_warn_days') -%}
            {{ tiering.raise_var_error(name, value,
                'a number of days at least freshness_warn_days (' ~ var('freshness_warn_days') ~ ')') }}
        {%- endif -%}
    {%- elif name in ['btyd_time_unit_days', 'clv_horizon_days', 'clv_prediction_months'] -%}
        {%- if not tiering.is_whole_number(value, 1) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of at least 1, e.g. '
                ~ {'btyd_time_unit_days': '7 (weeks)', 'clv_horizon_days': '90',
                   'clv_prediction_months': '12'}[name]) }}
        {%- endif -%}
    {%- elif name == 'clv_retention_rate' -%}
        {%- if value is not none and (value is not number or value is boolean or value <= 0 or value >= 1) -%}
            {{ tiering.raise_var_error(name, value,
                'a share above 0 and below 1, e.g. 0.6, or null to measure it from the data') }}
        {%- endif -%}
    {%- elif name == 'clv_expected_lifetime_years' -%}
        {%- if value is not none and (value is not number or value is boolean or value <= 0) -%}
            {{ tiering.raise_var_error(name, value,
                'a number of years above 0, e.g. 3, or null for 1 / (1 - retention rate)') }}
        {%- endif -%}
    {%- elif name == 'clv_discount_rate' -%}
        {%- if value is not number or value is boolean or value < 0 or value >= 1 -%}
            {{ tiering.raise_var_error(name, value, 'a yearly rate of at least 0 and below 1, e.g. 0.1') }}
        {%- endif -%}
    {%- elif name == 'clv_band_cut_points' -%}
        {%- do tiering.check_cut_points(name, value, [0.20, 0.50]) -%}
    {%- elif name == 'cluster_k' -%}
        {%- if value is not none and (not tiering.is_whole_number(value, 2) or value > 20) -%}
            {{ tiering.raise_var_error(name, value,
                'a whole number of clusters from 2 to 20, or null to choose it by silhouette') }}
        {%- endif -%}
    {%- elif name == 'cluster_k_range' -%}
        {%- if value is string or value is not iterable or value | length != 2
               or not tiering.is_whole_number(value[0], 2) or not tiering.is_whole_number(value[1], 2)
               or value[0] > value[1] or value[1] > 20 -%}
            {{ tiering.raise_var_error(name, value,
                'the smallest and largest number of clusters to try, from 2 to 20, e.g. [2, 8]') }}
        {%- endif -%}
    {%- elif name == 'cluster_seed' -%}
        {%- if not tiering.is_whole_number(value, 0) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of at least 0, e.g. 42') }}
        {%- endif -%}
    {%- elif name == 'cluster_sample_customers' -%}
        {%- if not tiering.is_whole_number(value, 100) -%}
            {{ tiering.raise_var_error(name, value, 'a whole number of customers of at least 100, e.g. 5000') }}
        {%- endif -%}
    {%- elif name == 'csv_encoding' -%}
        {%- do tiering.check_choice(name, value | lower if value is string else value,
            ['utf-8', 'utf-16', 'latin-1', 'gb18030', 'gbk']) -%}
        {{- return(value | lower) -}}
    {%- else -%}
        {{ exceptions.raise_compiler_error("setting: no checked var named '" ~ name ~ "'.") }}
    {%- endif -%}
    {{- return(value) -}}
{% endmacro %}

{#- Every var that setting() checks, in the order the README lists them. -#}
{% macro checked_vars() %}
    {{- return(['as_of_date', 'rfm_window_days', 'earliest_valid_date', 'pyramid_basis',
                'pyramid_cut_points', 'pareto_cut_points', 'lifecycle_new_days', 'lifecycle_churn_days',
                'lifecycle_period_days', 'lifecycle_growth_ratio', 'lifecycle_decline_ratio',
                'lifecycle_overdue_factor', 'grade_value_min_m_score', 'grade_loyalty_min_f_score',
                'grade_loyalty_min_tenure_days', 'grade_loyalty_min_purchases', 'tier_within',
                'segment_min_customers', 'segment_min_difference', 'history_grain', 'history_periods',
                'backtest_horizon_periods',
                'date_formats',
                'decimal_separator', 'thousands_separator', 'csv_delimiter', 'csv_encoding', 'transaction_grain',
                'reject_share_warn', 'reject_share_error', 'lapsed_share_warn', 'verify_every_row',
                'timezone', 'freshness_warn_days', 'freshness_error_days',
                'btyd_time_unit_days', 'clv_retention_rate', 'clv_expected_lifetime_years',
                'clv_discount_rate', 'clv_band_cut_points', 'clv_horizon_days', 'clv_prediction_months',
                'cluster_k', 'cluster_k_range', 'cluster_seed', 'cluster_sample_customers']) -}}
{% endmacro %}

{#- on-run-start: every checked var, so that a bad one stops the run before any model. -#}
{% macro validate_vars() %}
    {%- for name in tiering.checked_vars() -%}
        {%- do tiering.setting(name) -%}
    {%- endfor -%}
{% endmacro %}

{% macro raise_var_error(name, value, expected) %}
    {{ exceptions.raise_compiler_error(
        "Invalid var " ~ name ~ "=" ~ (value | tojson) ~ ": expected " ~ expected
        ~ ". Fix it in dbt_project.yml or pass --vars '{" ~ name ~ ": ...}'.") }}
{% endmacro %}

{% macro is_whole_number(value, minimum) %}
    {{- return(value is number and value is not boolean and value == value | int and value >= minimum) -}}
{% endmacro %}

{% macro check_choice(name, value, choices) %}
    {%- if value not in choices -%}
        {{ tiering.raise_var_error(name, value, "one of '" ~ choices | join("', '") ~ "'") }}
    {%- endif -%}
{% endmacro %}

{#- A date var written YYYY-MM-DD; returns the date. -#}
{% macro parse_date_var(name, value) %}
    {%- set text = value | string -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{ tiering.raise_var_error(name, value, 'a date written YYYY-MM-DD, e.g. 2024-06-30') }}
    {%- endif -%}
    {%- set year, month, day = text.split('-') | map('int') -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set days_in_month = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 or day > days_in_month[month - 1] -%}
        {{ tiering.raise_var_error(name, value, 'a date that exists, written YYYY-MM-DD') }}
    {%- endif -%}
    {{- return(modules.datetime.date(year, month, day)) -}}
{% endmacro %}

{#- Cut points: as many numbers as `example` holds, strictly increasing, each above 0 and at most 1. -#}
{% macro check_cut_points(name, values, example) %}
    {%- set expected = example | length ~ ' numbers, strictly increasing, each above 0 and at most 1, e.g. '
        ~ example | tojson -%}
    {%- if values is string or values is not iterable or values | length != example | length -%}
        {{ tiering.raise_var_error(name, values, expected) }}
    {%- endif -%}
    {%- for value in values -%}
        {%- if value is not number or value is boolean or value <= 0 or value > 1
               or (not loop.first and value <= values[loop.index0 - 1]) -%}
            {{ tiering.raise_var_error(name, values, expected) }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}

{#- tier_within: the customer attributes to tier within, a list (or one name) of distinct names
    among customer_type, industry, company_size, ownership and region; [] for none. Returns the
    list. -#}
{% macro check_tier_within(name, value) %}
    {%- set attributes = ['customer_type', 'industry', 'company_size', 'ownership', 'region'] -%}
    {%- set columns = [] if value is none else ([value] if value is string else value) -%}
    {%- set expected = "a list of customer attributes among '" ~ attributes | join("', '")
        ~ "', each once, e.g. ['region'], or [] for none" -%}
    {%- if columns is not iterable or columns is mapping -%}
        {{ tiering.raise_var_error(name, value, expected) }}
    {%- endif -%}
    {%- for column in columns -%}
        {%- if column not in attributes or column in columns[:loop.index0] -%}
            {{ tiering.raise_var_error(name, value, expected) }}
        {%- endif -%}
    {%- endfor -%}
    {{- return(columns | list) -}}
{% endmacro %}

{#- The decimal separator is '.' or ','; the thousands separator is none or one of ',', '.', ' ',
    "'" and differs from the decimal separator. -#}
{% macro check_separators() %}
    {%- set decimal = var('decimal_separator') -%}
    {%- set thousands = var('thousands_separator') -%}
    {%- do tiering.check_choice('decimal_separator', decimal, ['.', ',']) -%}
    {%- if thousands is not none -%}
        {%- do tiering.check_choice('thousands_separator', thousands, [',', '.', ' ', "'"]) -%}
        {%- if thousands == decimal -%}
            {{ tiering.raise_var_error('thousands_separator', thousands,
                'a character other than the decimal_separator (' ~ decimal ~ '), or null') }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- Date formats: a list (or one text) of formats built from YYYY, MM and DD, either YYYYMMDD or
    the three joined by one of '-', '/', '.'. Two formats that the same text could match
    (DD/MM/YYYY and MM/DD/YYYY) are refused: a date is never guessed. Returns the list. -#}
{% macro check_date_formats(name, value) %}
    {%- set formats = [value] if value is string else value -%}
    {%- set expected = "a list of date formats such as ['YYYY-MM-DD', 'YYYYMMDD', 'DD/MM/YYYY']"
        ~ " (YYYY, MM and DD joined by '-', '/' or '.', or YYYYMMDD)" -%}
    {%- if formats is not iterable or formats is mapping or formats | length == 0 -%}
        {{ tiering.raise_var_error(name, value, expected) }}
    {%- endif -%}
    {%- set shapes = {} -%}
    {%- for date_format in formats -%}
        {%- set parsed = tiering.date_format_parts(date_format) -%}
        {%- if parsed is none -%}
            {{ tiering.raise_var_error(name, value, expected) }}
        {%- endif -%}
        {%- set shape = parsed.separator ~ parsed.parts.index('YYYY') -%}
        {%- if shape in shapes -%}
            {{ tiering.raise_var_error(name, value, expected ~ ", no two of which the same date text could match ("
                ~ shapes[shape] ~ " and " ~ date_format ~ ")") }}
        {%- endif -%}
        {%- do shapes.update({shape: date_format}) -%}
    {%- endfor -%}
    {{- return(formats) -}}
{% endmacro %}

{#- {'separator': '-', 'parts': ['YYYY', 'MM', 'DD']} for a supported format, else none. -#}
{% macro date_format_parts(date_format) %}
    {%- if date_format == 'YYYYMMDD' -%}
        {{- return({'separator': '', 'parts': ['YYYY', 'MM', 'DD']}) -}}
    {%- endif -%}
    {%- if date_format is not string or date_format | length != 10 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set separator = modules.re.sub('[YMD]', '', date_format)[:1] -%}
    {%- set parts = date_format.split(separator) if separator in ['-', '/', '.'] else [] -%}
    {%- if parts | sort != ['DD', 'MM', 'YYYY'] -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return({'separator': separator, 'parts': parts}) -}}
{% endmacro %}
