{#- Post-hook of base_transaction_reject_counts (`relation`: rows by source_file and reject_reason,
    with row_count and usable_rows): logs what the input held (rows read, clean, rejected by
    reason), and stops the run - before any mart is replaced - when nothing useful can come of it:
    an input without rows, an input (or one of its files) whose every row was rejected (naming the
    top reasons and the var that fixes each), or no purchase on or before the as-of date. -#}
{% macro assert_usable_input(relation) %}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set as_of_date = tiering.setting('as_of_date') -%}
    {%- set file_counts = run_query(
        "select source_file, reject_reason, row_count, usable_rows from " ~ relation) -%}
    {%- set by_reason = {} -%}
    {%- for row in file_counts.rows -%}
        {%- do by_reason.update({row[1]: by_reason.get(row[1], 0) + row[2] | int}) -%}
    {%- endfor -%}
    {%- set rows_read = file_counts.columns[2].values() | map('int') | sum -%}
    {%- set usable_rows = file_counts.columns[3].values() | map('int') | sum -%}
    {%- set rejected = [] -%}
    {%- for reason, row_count in by_reason | dictsort(by='value', reverse=true) if reason is not none -%}
        {%- do rejected.append([reason, row_count]) -%}
    {%- endfor -%}
    {%- set rejected_rows = rejected | map(attribute=1) | sum -%}
    {%- set fixes = tiering.reject_reason_fixes() -%}
    {%- set reasons = [] -%}
    {%- for row in rejected[:3] -%}
        {%- do reasons.append(row[0] ~ ' ' ~ '{:,}'.format(row[1]) ~ ' (' ~ fixes.get(row[0], 'see the seed reject_reasons') ~ ')') -%}
    {%- endfor -%}
    {%- set summary = '{:,}'.format(rows_read) ~ ' rows read, ' ~ '{:,}'.format(rows_read - rejected_rows)
        ~ ' clean, ' ~ '{:,}'.format(rejected_rows) ~ ' rejected'
        ~ (' (' ~ '%.1f' | format(100.0 * (rejected_rows | float) / (rows_read | float)) ~ ' %)' if rows_read else '') -%}
    {%- do log('Transactions input: ' ~ summary ~ (': ' ~ reasons | join('; ') if reasons else '') ~ '.', info=true) -%}
    {%- if rows_read == 0 -%}
        {{ exceptions.raise_compiler_error(
            "The transactions input has no rows (a file with a header only?). Nothing was published: "
            ~ "check the export, or the var transactions_path (raw_schema on other engines).") }}
    {%- elif rejected_rows == rows_read -%}
        {{ exceptions.raise_compiler_error(
            "No clean transaction: " ~ summary ~ ", every row. Top reasons: " ~ reasons | join('; ')
            ~ ". Nothing was published; the marts are unchanged.") }}
    {%- elif usable_rows == 0 -%}
        {{ tiering.raise_no_usable_purchase(as_of_date) }}
    {%- endif -%}
    {%- do tiering.assert_every_file_counts(file_counts) -%}
    {{- return('') -}}
{% endmacro %}

{% macro raise_no_usable_purchase(as_of_date) %}
    {{ exceptions.raise_compiler_error(
        "No purchase (a clean transaction with a positive amount) "
        ~ ("on or before the var as_of_date=" ~ as_of_date if as_of_date is not none else "in the input")
        ~ ": there is no customer to tier. Set as_of_date to a day within the data (or remove it "
        ~ "to use the latest transaction date), or check the sign of the amounts. Nothing was "
        ~ "published; the marts are unchanged.") }}
{% endmacro %}

{#- A file of a multi-file input whose every row was rejected (copies of rows loaded from
    other files aside) stops the run too, naming the file: a daily file in a format the vars do
    not describe must not vanish in silence. `file_counts`: rows (source_file, reject_reason,
    row_count, ...). -#}
{% macro assert_every_file_counts(file_counts) %}
    {%- set per_file = {} -%}
    {%- for row in file_counts.rows -%}
        {%- set counted = per_file.get(row[0], {'row_count': 0, 'kept': 0, 'reasons': []}) -%}
        {%- do counted.update({'row_count': counted['row_count'] + row[2] | int}) -%}
        {%- if row[1] is none or row[1] in ['duplicate_transaction_id', 'duplicate_line'] -%}
            {%- do counted.update({'kept': counted['kept'] + row[2] | int}) -%}
        {%- else -%}
            {%- do counted['reasons'].append(row[1]) -%}
        {%- endif -%}
        {%- do per_file.update({row[0]: counted}) -%}
    {%- endfor -%}
    {%- set rows = [] -%}
    {%- for file_name, counted in per_file | dictsort if counted['kept'] == 0 -%}
        {%- set reasons = counted['reasons'] | sort -%}
        {%- do rows.append([file_name, counted['row_count'], reasons[0], reasons[-1]]) -%}
    {%- endfor -%}
    {%- if rows -%}
        {%- set fixes = tiering.reject_reason_fixes() -%}
        {%- set files = [] -%}
        {%- for file_name, row_count, first_reason, last_reason in rows[:5] -%}
            {%- set reasons = [first_reason] if first_reason == last_reason else [first_reason, last_reason] -%}
            {%- set explained = [] -%}
            {%- for reason in reasons -%}
                {%- do explained.append(reason ~ ' (' ~ fixes.get(reason, 'see the seed reject_reasons') ~ ')') -%}
            {%- endfor -%}
            {%- do files.append(file_name ~ ': ' ~ '{:,}'.format(row_count) ~ ' rows, every one rejected, e.g. '
                ~ explained | join(', ')) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "No clean transaction in " ~ rows | length ~ " input file" ~ ('s' if rows | length > 1 else '')
            ~ ": " ~ files | join('; ') ~ ". Fix or remove the file" ~ ('s' if rows | length > 1 else '')
            ~ ". Nothing was published; the marts are unchanged.") }}
    {%- endif -%}
{% endmacro %}

{#- What a user changes when many rows are rejected for a reason: the var or the export. -#}
{% macro reject_reason_fixes() %}
    {{- return({
        'missing_transaction_id': 'fill transaction_id, or leave the whole column empty to get surrogate ids',
        'missing_customer_id': 'every row needs a customer_id',
        'missing_transaction_date': 'every row needs a transaction_date',
        'unparseable_transaction_date': 'set the var date_formats to the way the file writes dates, e.g. [YYYYMMDD]',
        'transaction_date_too_early': 'set the var earliest_valid_date before your oldest transaction, or null',
        'transaction_date_in_future': "fix the dates, the machine's clock, or set the var timezone to the business's zone",
        'missing_amount': 'every row needs an amount',
        'non_numeric_amount': "set the vars decimal_separator and thousands_separator, e.g. ',' and '.'",
        'amount_out_of_range': 'check the amount column: amounts of more than 18 integer digits, or below 0.000001, are not money',
        'cancelled': 'cancelled transactions never count; nothing to fix',
        'refund_with_positive_amount': 'export refunds and returns as negative amounts',
        'duplicate_transaction_id': 'for order lines sharing a transaction_id set the var transaction_grain: line',
        'duplicate_line': 'give each line a line_id, or remove the copies',
    }) -}}
{% endmacro %}
