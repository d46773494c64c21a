{#- A readable name for each K-means cluster (int_customer_clusters): the named RFM segment of the
    cell of its members' rounded mean R, F and M scores (seed rfm_segment_map), the segment nearest
    its centre, with that segment's names. -#}
with

clusters as (
    select
        customer_id,
        cluster
    from {{ ref('int_customer_clusters') }}
    where cluster is not null
),

scores as (
    select
        customer_id,
        r_score,
        f_score,
        m_score
    from {{ ref('int_customer_rfm_scores') }}
),

segment_map as (
    select
        rfm_cell,
        rfm_segment
    from {{ ref('rfm_segment_map') }}
),

segment_names as (
    select
        tier_code,
        tier_name_en,
        tier_name_zh
    from {{ ref('tier_strategy_texts') }}
    where scheme = 'rfm_segment'
),

centres as (
    select
        clusters.cluster,
        cast(round(avg(scores.r_score)) as {{ dbt.type_int() }}) as r_score,
        cast(round(avg(scores.f_score)) as {{ dbt.type_int() }}) as f_score,
        cast(round(avg(scores.m_score)) as {{ dbt.type_int() }}) as m_score
    from clusters
    inner join scores
        on clusters.customer_id = scores.customer_id
    group by clusters.cluster
),

final as (
    select
        centres.cluster,
        segment_map.rfm_segment as nearest_rfm_segment,
        {{ dbt.concat([
            "'cluster '", dbt.cast('centres.cluster', dbt.type_string()), "': '", 'segment_names.tier_name_en'
        ]) }} as cluster_name,
        {{ dbt.concat([
            "'聚类'", dbt.cast('centres.cluster', dbt.type_string()), "': '", 'segment_names.tier_name_zh'
        ]) }} as cluster_name_zh
    from centres
    left join segment_map
        on
            {{ tiering.rfm_cell('centres.r_score', 'centres.f_score', 'centres.m_score') }}
            = segment_map.rfm_cell
    left join segment_names
        on segment_map.rfm_segment = segment_names.tier_code
)

select * from final
