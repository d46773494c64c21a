{#- One row per K-means cluster (document 001, step 4): its size, mean R, F, M and RFM scores,
    revenue share and silhouette, and a readable name: the named RFM segment of the cell of its
    rounded mean scores, the segment nearest its centre (int_cluster_names). -#}
with

clusters as (
    select
        customer_id,
        cluster,
        cluster_silhouette
    from {{ ref('int_customer_clusters') }}
    where cluster is not null
),

tiers as (
    select
        customer_id,
        as_of_date,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score
    from {{ ref('int_customer_rfm_scores') }}
),

names as (
    select
        cluster,
        nearest_rfm_segment,
        cluster_name,
        cluster_name_zh
    from {{ ref('int_cluster_names') }}
),

profiles as (
    select
        clusters.cluster,
        max(tiers.as_of_date) as as_of_date,
        count(*) as customers,
        sum(tiers.monetary) as revenue,
        max(clusters.cluster_silhouette) as silhouette,
        cast(avg(tiers.recency_days) as {{ tiering.type_double() }}) as mean_recency_days,
        cast(avg(tiers.frequency) as {{ tiering.type_double() }}) as mean_frequency,
        cast(avg(tiers.monetary) as {{ tiering.type_double() }}) as mean_monetary,
        cast(avg(tiers.r_score) as {{ tiering.type_double() }}) as mean_r_score,
        cast(avg(tiers.f_score) as {{ tiering.type_double() }}) as mean_f_score,
        cast(avg(tiers.m_score) as {{ tiering.type_double() }}) as mean_m_score
    from clusters
    inner join tiers
        on clusters.customer_id = tiers.customer_id
    group by clusters.cluster
),

named as (
    select
        profiles.*,
        names.nearest_rfm_segment,
        names.cluster_name,
        names.cluster_name_zh,
        sum(profiles.customers) over () as total_customers,
        sum(profiles.revenue) over () as total_revenue
    from profiles
    left join names
        on profiles.cluster = names.cluster
),

final as (
    select
        cast(named.cluster as {{ dbt.type_int() }}) as cluster,
        cast(named.cluster_name as {{ dbt.type_string() }}) as cluster_name,
        cast(named.cluster_name_zh as {{ dbt.type_string() }}) as cluster_name_zh,
        cast(named.nearest_rfm_segment as {{ dbt.type_string() }}) as nearest_rfm_segment,
        cast(named.as_of_date as date) as as_of_date,
        cast(named.customers as {{ dbt.type_int() }}) as customers,
        {{ tiering.share_of('named.customers', 'named.total_customers') }} as customer_share,
        cast(named.revenue as {{ dbt.type_numeric() }}) as revenue,
        {{ tiering.share_of('named.revenue', 'named.total_revenue') }} as revenue_share,
        cast(named.silhouette as {{ tiering.type_double() }}) as silhouette,
        cast(named.mean_recency_days as {{ tiering.type_double() }}) as mean_recency_days,
        cast(named.mean_frequency as {{ tiering.type_double() }}) as mean_frequency,
        cast(named.mean_monetary as {{ tiering.type_double() }}) as mean_monetary,
        cast(named.mean_r_score as {{ tiering.type_double() }}) as mean_r_score,
        cast(named.mean_f_score as {{ tiering.type_double() }}) as mean_f_score,
        cast(named.mean_m_score as {{ tiering.type_double() }}) as mean_m_score
    from named
)

select * from final
