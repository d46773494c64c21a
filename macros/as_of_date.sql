{#- The as-of date as a one-row query: the var as_of_date when given, else the latest
    `date_column` of `transactions` (a relation or CTE name; by default its transaction dates),
    so that a rerun on the same data describes the same day. -#}
{% macro as_of_date(transactions, as_of_date_var=none, date_column='transaction_date') -%}
    {%- if as_of_date_var is not none -%}
        select {{ tiering.as_of_date_or(as_of_date_var, none) }} as as_of_date
    {%- else -%}
        select max({{ date_column }}) as as_of_date from {{ transactions }}
    {%- endif -%}
{%- endmacro %}

{#- The var as_of_date as a date constant when given, else `expression` (e.g. the as-of date of the
    rows at hand, or max(transaction_date)). -#}
{% macro as_of_date_or(as_of_date_var, expression) -%}
    {%- if as_of_date_var is not none -%}
        {{ tiering.date_literal(as_of_date_var, 'as_of_date') }}
    {%- else -%}
        {{ expression }}
    {%- endif -%}
{%- endmacro %}
