{#- The segments of the value schemes (docs/value.md) in long form, one row per buyer and scheme:
    the CLV band (int_customer_value; every engine) and, where dbt Python models run
    (python_models_enabled), the K-means cluster (int_customer_clusters). segment_evaluation
    counts them like the schemes of customer_tiers. -#}
with

clv_bands as (
    select
        customer_id,
        'clv_band' as scheme,
        clv_band as segment
    from {{ ref('int_customer_value') }}
),

-- No row where the clusters are not built.
clusters as (
    {%- if tiering.python_models_enabled() %}
        select
            customer_id,
            'cluster' as scheme,
            {{ dbt.cast('cluster', dbt.type_string()) }} as segment
        from {{ ref('int_customer_clusters') }}
    {%- else %}
        select
            customer_id,
            'cluster' as scheme,
            segment
        from clv_bands
        where 1 = 0
    {%- endif %}
)

select * from clv_bands
union all
select * from clusters
