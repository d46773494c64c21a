{#- How int_customer_metrics is built: from every transaction, or by updating the customers it
    holds (the previous build) with the few rows whose part in them changed since.

    Every row of int_customer_metrics carries state_version: when it was computed (the run's start),
    how many rows base_transaction_rows held then, and a fingerprint of the vars its sums depend
    on. An update is exact when every row counted then is still counted now, so the previous sums
    plus the rows loaded since, plus or minus the rows that crossed a period edge as the as-of date
    moved, are the sums over every row. The plan says so only when:
    - the table exists, is not being rebuilt (--full-refresh) and holds one state_version;
    - the vars it was computed with are unchanged (state_fingerprint);
    - no row loaded by then is gone (its file was read again or left the input);
    - a row counted then that a copy loaded since outranks (the duplicate rule takes it back) has
      a copy of the same customer, day and sign (purchase or refund) kept instead, so that the
      first and last purchase dates stay what they were: the row is then taken back
      (outranked_rows) and the copy added;
    - the as-of date did not move back.
    Otherwise, and in unit tests, every customer is computed again. -#}

{#- A fingerprint of what the sums of int_customer_metrics depend on besides the rows: a change
    computes every customer again. Bump `logic` when a release changes how a measure is summed. -#}
{% macro state_fingerprint() %}
    {%- set settings = {'logic': 1, 'as_of_date': 'var' if tiering.setting('as_of_date') is not none else 'data'} -%}
    {%- for name in ['rfm_window_days', 'lifecycle_period_days', 'transaction_grain'] -%}
        {%- do settings.update({name: tiering.setting(name)}) -%}
    {%- endfor -%}
    {{- return(local_md5(settings | tojson)) -}}
{% endmacro %}

{#- The state_version this run gives the rows of int_customer_metrics: the run's start, the rows
    base_transaction_rows holds (`rows`), state_fingerprint, separated by '|'. -#}
{% macro metrics_state_version(rows) %}
    {%- set rows_loaded = run_query('select count(*) from ' ~ rows).columns[0].values()[0] -%}
    {{- return(run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ '|' ~ rows_loaded ~ '|' ~ tiering.state_fingerprint()) -}}
{% endmacro %}

{#- The as-of date of an update (YYYY-MM-DD): the var, or the latest transaction date, which only a
    row loaded since `computed_since` (a timestamp expression) can move past `previous_as_of`
    (YYYY-MM-DD; a copy taken back leaves a copy of the same day). -#}
{% macro updated_as_of(previous_as_of, computed_since) %}
    {%- set as_of_var = tiering.setting('as_of_date') -%}
    {%- if as_of_var is not none -%}
        {{- return(tiering.parse_date_var('as_of_date', as_of_var) | string) -}}
    {%- endif -%}
    {%- set latest = run_query('select max(transaction_date) from ' ~ tiering.model_relation('stg_transactions')
        ~ ' where loaded_at > ' ~ computed_since).columns[0].values()[0] -%}
    {{- return([previous_as_of, latest | string] | max if latest is not none else previous_as_of) -}}
{% endmacro %}

{#- The plan of int_customer_metrics (`relation`): mode 'full' or 'update', the state_version
    the new rows carry, and for an update the previous state (computed_since: its run start as a
    timestamp expression; previous_as_of: its as-of date as a date expression), the new as-of
    date (as_of_date, a date expression; a constant, so that the engine filters the rows crossing
    an edge while it scans them) and has_cost (whether profit is known). `quiet`: no log line.
    `latest_run_only`: as reason_to_compute_all's (a history table). -#}
{% macro metrics_plan(relation, quiet=false, latest_run_only=false) %}
    {%- if not execute or model.resource_type != 'model' -%}
        {{- return({'mode': 'full', 'state_version': 'none'}) -}}
    {%- endif -%}
    {%- set rows = tiering.model_relation('base_transaction_rows') -%}
    {%- if adapter.get_relation(rows.database, rows.schema, rows.identifier) is none -%}
        {#- Compiled before any build (a linter, dbt compile on a new database). -#}
        {{- return({'mode': 'full', 'state_version': 'none'}) -}}
    {%- endif -%}
    {%- set state_version = tiering.metrics_state_version(rows) -%}
    {%- set reason = tiering.reason_to_compute_all(relation, rows, latest_run_only) -%}
    {%- if reason is string -%}
        {%- if not quiet -%}
            {%- do log(relation.identifier ~ ': computing every customer (' ~ reason ~ ').', info=true) -%}
        {%- endif -%}
        {{- return({'mode': 'full', 'state_version': state_version}) -}}
    {%- endif -%}
    {%- if not quiet -%}
        {%- do log(relation.identifier ~ ': updating the customers computed at ' ~ reason.computed_at
            ~ ' UTC (as of ' ~ reason.previous_as_of ~ ') with the rows loaded since and the days to '
            ~ reason.as_of_date ~ '.', info=true) -%}
    {%- endif -%}
    {{- return({
        'mode': 'update',
        'state_version': state_version,
        'computed_since': reason.computed_since,
        'previous_as_of': 'cast(' ~ tiering.string_literal(reason.previous_as_of) ~ ' as date)',
        'as_of_date': 'cast(' ~ tiering.string_literal(reason.as_of_date) ~ ' as date)',
        'has_cost': reason.has_cost,
    }) -}}
{% endmacro %}

{#- Why int_customer_metrics (`relation`) must be computed from every transaction (a text), or the
    previous state to update: {'computed_at': its run start as text, 'computed_since': the same as
    a timestamp expression, 'previous_as_of' and 'as_of_date': the previous and the new as-of date,
    YYYY-MM-DD, 'has_cost': whether profit is known}. `rows` is base_transaction_rows. With
    `latest_run_only` (the history tables), the state is that of the rows of the table's latest
    run: a run that updates some period ends leaves the others as they are, state included. -#}
{% macro reason_to_compute_all(relation, rows, latest_run_only=false) %}
    {%- if not is_incremental() -%}
        {{- return('first build, or --full-refresh') -}}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if 'state_version' not in columns -%}
        {{- return('built by an earlier release') -}}
    {%- endif -%}
    {%- set scope = relation if not latest_run_only else '(select * from ' ~ relation
        ~ ' where computed_at = (select max(computed_at) from ' ~ relation ~ ')) as latest_run' -%}
    {%- set state = run_query('select min(state_version), max(state_version), max(as_of_date) from '
        ~ scope).rows[0] -%}
    {%- if state[0] is none or state[0] != state[1] -%}
        {{- return('no previous state') -}}
    {%- endif -%}
    {%- set computed_at, rows_then, fingerprint = state[0].split('|') -%}
    {%- if fingerprint != tiering.state_fingerprint() or tiering.setting('transaction_grain') != 'transaction' -%}
        {{- return('vars changed, or transaction_grain: line') -}}
    {%- endif -%}
    {%- set since = 'cast(' ~ tiering.string_literal(computed_at) ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
    {%- set rows_still = run_query('select count(*) from ' ~ rows ~ ' where loaded_at <= ' ~ since).columns[0].values()[0] -%}
    {%- if rows_still | string != rows_then -%}
        {{- return('rows counted before were read again or are gone') -}}
    {%- endif -%}
    {%- set outranked = run_query('select count(*) from (' ~ tiering.outranked_rows(
        tiering.model_relation('base_transaction_copies'), since) ~ ') as outranked'
        ~ ' where customer_id != kept_customer_id or transaction_date != kept_transaction_date'
        ~ ' or (amount > 0) != (kept_amount > 0)').columns[0].values()[0] -%}
    {%- if outranked > 0 -%}
        {{- return(outranked ~ ' rows counted before are outranked by a copy of another customer, day or sign') -}}
    {%- endif -%}
    {%- set previous_as_of = state[2] | string -%}
    {%- set as_of_date = tiering.updated_as_of(previous_as_of, since) -%}
    {%- if as_of_date < previous_as_of -%}
        {{- return('the as-of date moved back') -}}
    {%- endif -%}
    {#- Profit is known when a transaction up to the as-of date has a cost: when that changes, the
        profit of every customer changes. -#}
    {%- set had_cost = run_query('select count(*) from (select 1 from ' ~ relation
        ~ ' where profit is not null limit 1) as priced').columns[0].values()[0] > 0 -%}
    {%- set has_cost = run_query('select count(*) from (select 1 from '
        ~ tiering.model_relation('stg_transactions') ~ ' where cost is not null and transaction_date <= cast('
        ~ tiering.string_literal(as_of_date) ~ ' as date) limit 1) as priced').columns[0].values()[0] > 0 -%}
    {%- if has_cost != had_cost -%}
        {{- return('profit became known or unknown') -}}
    {%- endif -%}
    {{- return({'computed_at': computed_at, 'computed_since': since, 'previous_as_of': previous_as_of,
                'as_of_date': as_of_date, 'has_cost': has_cost}) -}}
{% endmacro %}

{#- SQL: the rows counted by the build of `since` (a timestamp expression) that a copy loaded
    since outranks, from base_transaction_copies (`copies`): the first of the earlier rows of a
    key ranked again since, when it is no longer first (a new ranking keeps the order of the
    earlier rows). With what int_customer_metrics sums of them, and the kept copy's customer, day
    and amount. -#}
{% macro outranked_rows(copies, since) -%}
    select
        earlier.customer_id,
        earlier.transaction_date,
        earlier.amount,
        earlier.cost,
        kept.customer_id as kept_customer_id,
        kept.transaction_date as kept_transaction_date,
        kept.amount as kept_amount
    from {{ copies }} as earlier
    inner join (
        select
            line_key,
            min(copy_number) as copy_number
        from {{ copies }}
        where ranked_at > {{ since }} and loaded_at <= {{ since }}
        group by line_key
    ) as first_earlier
        on earlier.line_key = first_earlier.line_key and earlier.copy_number = first_earlier.copy_number
    inner join {{ copies }} as kept
        on earlier.line_key = kept.line_key and kept.copy_number = 1
    where first_earlier.copy_number > 1
{%- endmacro %}

{#- Pre-hook of int_customer_metrics (and, with `latest_run_only`, of the history tables): under an
    incremental run that computes every customer again (metrics_plan), delete every row first, so
    that the table holds what the run computes. -#}
{% macro empty_unless_updated(relation, latest_run_only=false) %}
    {%- if not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- if tiering.metrics_plan(relation, quiet=true, latest_run_only=latest_run_only).mode == 'full' -%}
        {{- return('delete from ' ~ relation) -}}
    {%- endif -%}
    {{- return('') -}}
{% endmacro %}

{#- Post-hook of int_customer_metrics: after an update, which wrote only the customers whose rows
    changed, move every other customer to the new as-of date (as_of_date, recency_days,
    tenure_days and state_version; their sums did not change). Nothing to do after a full
    computation, whose rows all carry this run's state_version. -#}
{% macro move_as_of_date(relation) %}
    {%- if not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set state_version = tiering.metrics_state_version(tiering.model_relation('base_transaction_rows')) -%}
    {%- set earlier = run_query('select distinct state_version, as_of_date from ' ~ relation
        ~ ' where state_version != ' ~ tiering.string_literal(state_version)).rows -%}
    {%- if earlier | length == 0 -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set computed_since = 'cast(' ~ tiering.string_literal(earlier[0][0].split('|')[0]) ~ ' as '
        ~ dbt.type_timestamp() ~ ')' -%}
    {%- set as_of_date = 'cast(' ~ tiering.string_literal(
        tiering.updated_as_of(earlier[0][1] | string, computed_since)) ~ ' as date)' -%}
    {{- return('update ' ~ relation ~ ' set as_of_date = ' ~ as_of_date
        ~ ', recency_days = ' ~ tiering.days_to_as_of('last_purchase_date', as_of_date)
        ~ ', tenure_days = ' ~ tiering.days_to_as_of('first_purchase_date', as_of_date)
        ~ ', state_version = ' ~ tiering.string_literal(state_version)
        ~ ' where state_version != ' ~ tiering.string_literal(state_version)) -}}
{% endmacro %}
