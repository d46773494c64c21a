{#- Tie-consistent NTILE (domain.md, RFM): the bucket that NTILE(buckets) over the rows' order
    gives to the FIRST row of each row's tie group, i.e. the lowest bucket any member of the
    group receives. Equal values therefore always share a bucket, on every engine, whatever the
    tie-break.

    `rank_column` is the position of that first row, rank() of the value (value_ranks gives it),
    and `row_count_column` the rows in all. NTILE's bucket for a position p of n rows is
    closed-form (the first n mod b buckets hold one row more):
        size = n div b,  extra = n mod b
        p <= extra * (size + 1):  (p - 1) div (size + 1) + 1
        otherwise:                extra + (p - 1 - extra * (size + 1)) div size + 1
    Divisions are of exact multiples (x - mod(x, d)) / d, which is integer arithmetic on every
    engine. -#}
{% macro tie_consistent_ntile(rank_column, row_count_column, buckets=5) -%}
    {%- if buckets is not number or buckets is boolean or buckets != buckets | int or buckets < 1 -%}
        {{ exceptions.raise_compiler_error(
            "tie_consistent_ntile: buckets must be a whole number of at least 1, got " ~ buckets) }}
    {%- endif -%}
    {%- set position = '(' ~ rank_column ~ ')' -%}
    {%- set row_count = '(' ~ row_count_column ~ ')' -%}
    {%- set extra = 'mod(' ~ row_count ~ ', ' ~ buckets ~ ')' -%}
    {%- set size = '((' ~ row_count ~ ' - ' ~ extra ~ ') / ' ~ buckets ~ ')' -%}
    {%- set big_rows = '(' ~ extra ~ ' * (' ~ size ~ ' + 1))' -%}
    {%- set offset_in_big = '(' ~ position ~ ' - 1)' -%}
    {%- set offset_in_small = '(' ~ position ~ ' - 1 - ' ~ big_rows ~ ')' -%}
    cast(case
        when {{ position }} <= {{ big_rows }}
            then ({{ offset_in_big }} - mod({{ offset_in_big }}, {{ size }} + 1)) / ({{ size }} + 1) + 1
        else {{ extra }}
            + ({{ offset_in_small }} - mod({{ offset_in_small }}, nullif({{ size }}, 0))) / nullif({{ size }}, 0) + 1
    end as {{ dbt.type_int() }})
{%- endmacro %}
