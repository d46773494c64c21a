{#- How the history tables (int_customer_metrics_history, customer_tier_history) are built: every
    period end, or only the period ends whose input changed since their previous build. Both follow
    int_customer_metrics' state (macro reason_to_compute_all, read from the state_version of the
    rows of the table's latest run, which always computes the as-of date's period end): when that
    table could be updated, so can they, and the period ends to compute are the as-of date's, any
    period end not in the table yet (a new one, or after history_grain or history_periods changed)
    and every period end on or after the earliest day of a row loaded since or taken back by a
    copy loaded since (a late transaction). The others keep their rows, state_version included
    (rewriting it on every row cost 5 s per table and night at 10 M transactions); the post-hook
    prune_period_ends deletes the period ends that are no longer ones. -#}

{#- The plan of a history table (`relation`): mode 'full' or 'update', `period_ends` (a condition
    on as_of_date: the period ends to compute), `ends_before` (a condition on as_of_date: in an
    update, the period ends just before those computed that are not computed themselves, whose
    rows the table keeps) and the state_version the new rows carry. An update names its period
    ends as date literals, which the engines match against the table's storage (DuckDB skips the
    row groups of other period ends) and count right when they plan the query. -#}
{% macro history_plan(relation) %}
    {%- set compute_all = {'mode': 'full', 'period_ends': '1 = 1', 'ends_before': '1 = 0',
                           'state_version': 'none'} -%}
    {%- if not execute or model.resource_type != 'model' -%}
        {{- return(compute_all) -}}
    {%- endif -%}
    {%- set rows = tiering.model_relation('base_transaction_rows') -%}
    {%- if adapter.get_relation(rows.database, rows.schema, rows.identifier) is none -%}
        {#- Compiled before any build (a linter, dbt compile on a new database). -#}
        {{- return(compute_all) -}}
    {%- endif -%}
    {%- do compute_all.update({'state_version': tiering.metrics_state_version(rows)}) -%}
    {%- set reason = tiering.reason_to_compute_all(relation, rows, latest_run_only=true) -%}
    {%- if reason is string -%}
        {%- do log(relation.identifier ~ ': computing every period end (' ~ reason ~ ').', info=true) -%}
        {{- return(compute_all) -}}
    {%- endif -%}
    {%- set changed_since = run_query('select min(transaction_date) from ('
        ~ 'select transaction_date from ' ~ tiering.model_relation('stg_transactions')
        ~ ' where loaded_at > ' ~ reason.computed_since
        ~ ' union all select transaction_date from (' ~ tiering.outranked_rows(
            tiering.model_relation('base_transaction_copies'), reason.computed_since) ~ ') as outranked'
        ~ ') as changed').columns[0].values()[0] -%}
    {%- set computed = run_query('select distinct as_of_date, period_start from ' ~ relation).rows -%}
    {%- set conditions = ['as_of_date >= cast(' ~ tiering.string_literal(reason.as_of_date) ~ ' as date)'] -%}
    {%- if changed_since is not none -%}
        {%- do conditions.append('as_of_date >= cast(' ~ tiering.string_literal(changed_since | string) ~ ' as date)') -%}
    {%- endif -%}
    {%- if computed | length > 0 -%}
        {#- A period end computed before for another period (history_grain changed) is not one. -#}
        {%- set periods = [] -%}
        {%- for day, start in computed -%}
            {%- do periods.append('(as_of_date = cast(' ~ tiering.string_literal(day | string)
                ~ ' as date) and period_start = cast(' ~ tiering.string_literal(start | string) ~ ' as date))') -%}
        {%- endfor -%}
        {%- do conditions.append('not (' ~ periods | join(' or ') ~ ')') -%}
    {%- endif -%}
    {%- set period_ends = run_query('select as_of_date, previous_as_of_date, '
        ~ 'case when ' ~ conditions | join(' or ') ~ ' then 1 else 0 end as is_chosen from '
        ~ tiering.model_relation('int_period_ends') ~ ' order by as_of_date').rows -%}
    {%- set ends = [] -%}
    {%- for day, previous_day, is_chosen in period_ends if is_chosen == 1 -%}
        {%- do ends.append(day | string) -%}
    {%- endfor -%}
    {%- set ends_before = [] -%}
    {%- for day, previous_day, is_chosen in period_ends if is_chosen == 1 -%}
        {%- if previous_day is not none and (previous_day | string) not in ends -%}
            {%- do ends_before.append(previous_day | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set changes = (ends | join(', ') if ends | length <= 2 else ends[0] ~ ' to ' ~ ends[-1])
        ~ "): the as-of date's"
        ~ (', every one from ' ~ changed_since ~ ' (rows loaded late)' if changed_since is not none
            and (changed_since | string) < reason.as_of_date else '')
        ~ ' and any not computed before' -%}
    {#- Most period ends changed: computing them all, unfiltered, takes less memory (at 10 M
        transactions, 37 of 38 period ends picked by name ran out of DuckDB's 6 GB in
        customer_tier_history, where all 38 took 6.2 GB at the peak, spilling). -#}
    {%- if 2 * (ends | length) > period_ends | length -%}
        {%- do log(relation.identifier ~ ': ' ~ ends | length ~ ' of ' ~ period_ends | length
            ~ ' period ends changed (' ~ changes ~ '; computing all ' ~ period_ends | length
            ~ ' (less memory than picking most of them).', info=true) -%}
        {{- return({'mode': 'update', 'period_ends': '1 = 1', 'ends_before': '1 = 0',
                    'state_version': compute_all.state_version}) -}}
    {%- endif -%}
    {%- do log(relation.identifier ~ ': computing ' ~ ends | length ~ ' of ' ~ period_ends | length
        ~ ' period ends (' ~ changes ~ '; the other ' ~ ((period_ends | length) - (ends | length))
        ~ ' stay.', info=true) -%}
    {{- return({'mode': 'update', 'period_ends': tiering.date_in('as_of_date', ends),
                'ends_before': tiering.date_in('as_of_date', ends_before),
                'state_version': compute_all.state_version}) -}}
{% endmacro %}

{#- SQL: whether the date `expression` is one of `days` (ISO date strings); false for none. -#}
{% macro date_in(expression, days) -%}
    {%- if days | length == 0 -%}
        1 = 0
    {%- else -%}
        {%- set literals = [] -%}
        {%- for day in days -%}
            {%- do literals.append('cast(' ~ tiering.string_literal(day) ~ ' as date)') -%}
        {%- endfor -%}
        {{ expression }} in ({{ literals | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- The marts built from customer_tier_history: the period ends whose rows a run of
    the mart (`relation`, which records in `column` the period end of each row and in
    source_computed_at the computed_at of the history rows it read for it) must read again:
    every period end outside an incremental run ('all'), else those whose rows in the history
    were computed after the mart read them, or that the mart does not hold ('ends', ISO date
    strings). Use with changed_end. -#}
{% macro history_changes(relation, column) %}
    {%- if not execute or model.resource_type != 'model' or not is_incremental() -%}
        {{- return({'all': true, 'ends': []}) -}}
    {%- endif -%}
    {%- set history = tiering.model_relation('customer_tier_history') -%}
    {%- set computed = run_query('select as_of_date, max(computed_at) from ' ~ history
        ~ ' group by as_of_date').rows -%}
    {%- set read = {} -%}
    {%- for day, read_at in run_query('select ' ~ column ~ ', max(source_computed_at) from ' ~ relation
        ~ ' group by ' ~ column).rows -%}
        {%- do read.update({day | string: read_at | string}) -%}
    {%- endfor -%}
    {%- set changed = [] -%}
    {%- for day, computed_at in computed -%}
        {%- if read.get(day | string) != computed_at | string -%}
            {%- do changed.append(day | string) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do log(relation.identifier ~ ': ' ~ changed | length ~ ' of ' ~ computed | length
        ~ ' period ends of the history changed since it read them, or are not in it.', info=true) -%}
    {{- return({'all': false, 'ends': changed}) -}}
{% endmacro %}

{#- SQL: whether any of `expressions` (period ends) is one of the `changes` of history_changes. -#}
{% macro changed_end(changes, expressions) -%}
    {%- if changes.all -%}
        1 = 1
    {%- elif changes.ends | length == 0 -%}
        1 = 0
    {%- else -%}
        {%- set tests = [] -%}
        {%- for expression in expressions -%}
            {%- do tests.append(tiering.date_in(expression, changes.ends)) -%}
        {%- endfor -%}
        ({{ tests | join(' or ') }})
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of a history table (`relation`): delete the rows whose period end in any of
    `columns` int_period_ends no longer holds. -#}
{% macro prune_period_ends(relation, columns) %}
    {%- if not execute or not is_incremental() -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- for column in columns -%}
        {%- do conditions.append(column ~ ' not in (select as_of_date from '
            ~ tiering.model_relation('int_period_ends') ~ ')') -%}
    {%- endfor -%}
    {{- return('delete from ' ~ relation ~ ' where ' ~ conditions | join(' or ')) -}}
{% endmacro %}
