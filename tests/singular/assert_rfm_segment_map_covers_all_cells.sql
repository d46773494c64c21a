-- The editable segment map covers all 125 RFM cells exactly once, each cell code agrees with its
-- scores, and the fixed points of domain.md hold (555 high_value; 551, 515 potential; 155, 115
-- churn_risk; 111 low_value). Returns each missing, malformed or contradicting cell.
with

segment_map as (
    select
        cast(rfm_cell as {{ dbt.type_string() }}) as rfm_cell,
        r_score,
        f_score,
        m_score,
        rfm_segment
    from {{ ref('rfm_segment_map') }}
),

scores as (
    select 1 as score
    union all
    select 2 as score
    union all
    select 3 as score
    union all
    select 4 as score
    union all
    select 5 as score
),

all_cells as (
    select
        r_scores.score as r_score,
        f_scores.score as f_score,
        m_scores.score as m_score,
        {{ tiering.rfm_cell('r_scores.score', 'f_scores.score', 'm_scores.score') }} as rfm_cell
    from scores as r_scores
    cross join scores as f_scores
    cross join scores as m_scores
),

fixed_points as (
    select
        '555' as rfm_cell,
        'high_value' as expected_segment
    union all
    select
        '551' as rfm_cell,
        'potential' as expected_segment
    union all
    select
        '515' as rfm_cell,
        'potential' as expected_segment
    union all
    select
        '155' as rfm_cell,
        'churn_risk' as expected_segment
    union all
    select
        '115' as rfm_cell,
        'churn_risk' as expected_segment
    union all
    select
        '111' as rfm_cell,
        'low_value' as expected_segment
),

checked as (
    select
        all_cells.rfm_cell,
        segment_map.rfm_segment,
        fixed_points.expected_segment,
        count(segment_map.rfm_cell) over (partition by all_cells.rfm_cell) as map_rows,
        segment_map.r_score = all_cells.r_score
        and segment_map.f_score = all_cells.f_score
        and segment_map.m_score = all_cells.m_score as scores_agree
    from all_cells
    left join segment_map
        on all_cells.rfm_cell = segment_map.rfm_cell
    left join fixed_points
        on all_cells.rfm_cell = fixed_points.rfm_cell
)

select *
from checked
where
    map_rows != 1
    or not coalesce(scores_agree, false)
    or rfm_segment is null
    or rfm_segment != coalesce(expected_segment, rfm_segment)
