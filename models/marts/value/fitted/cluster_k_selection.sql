{#- The k-selection curve of the K-means clusters (int_cluster_k_selection): silhouette and
    inertia per k, and the k chosen. -#}
with

selection as (
    select
        k,
        silhouette,
        inertia,
        is_chosen,
        customers_scored
    from {{ ref('int_cluster_k_selection') }}
),

final as (
    select
        cast(k as {{ dbt.type_int() }}) as k,
        cast(silhouette as {{ tiering.type_double() }}) as silhouette,
        cast(inertia as {{ tiering.type_double() }}) as inertia,
        cast(is_chosen as boolean) as is_chosen,
        cast(customers_scored as {{ dbt.type_int() }}) as customers_scored
    from selection
)

select * from final
