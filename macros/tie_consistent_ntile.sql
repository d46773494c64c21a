{#- Tie-consistent NTILE (domain.md, RFM): the bucket that NTILE(buckets) over `order_by`
    gives to the FIRST row of each row's tie group, i.e. the lowest bucket any member of the
    group receives. Equal values therefore always share a bucket, on every engine, whatever the
    tie-break.

    The first row of a tie group sits at position rank() in the order, and NTILE's bucket for a
    position p of n rows is closed-form (the first n mod b buckets hold one row more):
        size = n div b,  extra = n mod b
        p <= extra * (size + 1):  (p - 1) div (size + 1) + 1
        otherwise:                extra + (p - 1 - extra * (size + 1)) div size + 1
    so the rule is one expression with no nested window. Divisions are of exact multiples
    (x - mod(x, d)) / d, which is integer arithmetic on every engine. -#}
{% macro tie_consistent_ntile(order_by, buckets=5, partition_by=none) -%}
    {%- if buckets is not number or buckets is boolean or buckets != buckets | int or buckets < 1 -%}
        {{ exceptions.raise_compiler_error(
            "tie_consistent_ntile: buckets must be a whole number of at least 1, got " ~ buckets) }}
    {%- endif -%}
    {%- set partition = 'partition by ' ~ partition_by ~ ' ' if partition_by else '' -%}
    {%- set position = '(rank() over (' ~ partition ~ 'order by ' ~ order_by ~ '))' -%}
    {%- set row_count = '(count(*) over (' ~ partition ~ '))' -%}
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
