{#- Fails on every row whose `column_name` lies outside [min_value, max_value] (either bound may
    be omitted; inclusive=false makes the bounds strict). Named after dbt_utils.accepted_range. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            "accepted_range on " ~ column_name ~ ": give min_value, max_value or both.") }}
    {%- endif -%}
    {%- set lower = '>=' if inclusive else '>' -%}
    {%- set upper = '<=' if inclusive else '<' -%}

with

checked_values as (
    select {{ column_name }} as checked_value
    from {{ model }}
),

out_of_range as (
    select checked_value
    from checked_values
    where
        not (
            1 = 1
            {%- if min_value is not none %}
            and checked_value {{ lower }} {{ min_value }}
            {%- endif %}
            {%- if max_value is not none %}
            and checked_value {{ upper }} {{ max_value }}
            {%- endif %}
        )
)

select * from out_of_range

{% endtest %}
