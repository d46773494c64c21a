{#- The RFM score of each distinct value of `value_column` among the rows of `relation` (per
    partition): a query with one row per (partition, value) holding ranked_value and score, the
    tie-consistent quintile (tie_consistent_ntile) of the value's rank (value_ranks) in `order`.
    Join it back to the rows with value_ranks_join. -#}
{% macro value_scores(relation, value_column, order='asc', partition_by=none, buckets=5) -%}
    select
        {{ partition_by ~ ',' if partition_by }}
        ranked_value,
        {{ tiering.tie_consistent_ntile('value_rank', 'partition_rows', buckets) }} as score
    from ({{ tiering.value_ranks(relation, value_column, order, partition_by) }}) as value_ranks
{%- endmacro %}
