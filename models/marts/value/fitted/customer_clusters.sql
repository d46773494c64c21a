{#- The K-means cluster of each buyer (int_customer_clusters) with its readable name
    (int_cluster_names). -#}
with

clusters as (
    select
        customer_id,
        cluster
    from {{ ref('int_customer_clusters') }}
),

profiles as (
    select
        cluster,
        cluster_name,
        cluster_name_zh
    from {{ ref('int_cluster_names') }}
),

tiers as (
    select
        customer_id,
        as_of_date
    from {{ ref('int_customer_rfm_scores') }}
),

final as (
    select
        cast(clusters.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(tiers.as_of_date as date) as as_of_date,
        cast(clusters.cluster as {{ dbt.type_int() }}) as cluster,
        cast(profiles.cluster_name as {{ dbt.type_string() }}) as cluster_name,
        cast(profiles.cluster_name_zh as {{ dbt.type_string() }}) as cluster_name_zh
    from clusters
    inner join tiers
        on clusters.customer_id = tiers.customer_id
    left join profiles
        on clusters.cluster = profiles.cluster
)

select * from final
