{#- Strategy texts for the tiers of a value scheme that the data decides: each K-means cluster
    (where dbt Python models run) takes the texts of its nearest RFM segment (int_cluster_names).
    The seed's columns, so that tier_strategies and segment_evaluation read these rows beside
    the seed's; no row where the clusters are not built. -#}
with

segment_texts as (
    select
        scheme,
        tier_code,
        definition,
        core_goal,
        actions,
        owner_role,
        service_level,
        contact_cadence
    from {{ ref('tier_strategy_texts') }}
    where scheme = 'rfm_segment'
),

-- The clusters' names and nearest segments; no row where the clusters are not built.
cluster_names as (
    {%- if tiering.python_models_enabled() %}
        select
            cluster,
            nearest_rfm_segment,
            cluster_name,
            cluster_name_zh
        from {{ ref('int_cluster_names') }}
    {%- else %}
        select
            cast(null as {{ dbt.type_int() }}) as cluster,
            tier_code as nearest_rfm_segment,
            tier_code as cluster_name,
            tier_code as cluster_name_zh
        from segment_texts
        where 1 = 0
    {%- endif %}
),

final as (
    select
        'cluster' as scheme,
        {{ dbt.cast('cluster_names.cluster', dbt.type_string()) }} as tier_code,
        cluster_names.cluster as tier_order,
        cluster_names.cluster_name_zh as tier_name_zh,
        cluster_names.cluster_name as tier_name_en,
        {{ dbt.concat([
            "'K-means cluster of standardised log recency, frequency and monetary value whose mean scores fall in this RFM segment: '",
            'segment_texts.definition',
        ]) }} as definition,
        segment_texts.core_goal,
        segment_texts.actions,
        segment_texts.owner_role,
        segment_texts.service_level,
        segment_texts.contact_cadence
    from cluster_names
    left join segment_texts
        on cluster_names.nearest_rfm_segment = segment_texts.tier_code
)

select * from final
