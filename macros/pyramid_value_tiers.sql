{#- A query (SQL text) over `value_ranks` (the output of value_ranks, in descending order of
    value, partitioned by `partition_by`): per partition and distinct value, its revenue_rank,
    percent_rank ((rank - 1) / (rows - 1), 0 alone), pyramid tier (pyramid_tier) and Pareto class
    (pareto_class), with the value held above and in all, for cumulative_share. Computed once per
    distinct value, not per customer (the decimal arithmetic per customer took a third of
    int_customer_pyramid's time). Shared by int_customer_pyramid and customer_tier_history. -#}
{% macro pyramid_value_tiers(value_ranks, pyramid_cut_points, pareto_cut_points, partition_by='as_of_date') -%}
    select
        {{ partition_by }},
        ranked_value,
        positive_value_above,
        positive_value_total,
        value_rank as revenue_rank,
        case
            when partition_rows = 1 then 0
            else (value_rank - 1) / cast(partition_rows - 1 as {{ tiering.type_double() }})
        end as percent_rank,
        {{ tiering.pyramid_tier('value_rank', 'partition_rows', pyramid_cut_points) }} as pyramid_tier,
        {{ tiering.pareto_class('positive_value_above', 'positive_value_total', pareto_cut_points) }}
            as pareto_class
    from {{ value_ranks }}
{%- endmacro %}
