{#- The value x loyalty grade of a customer (document 004's HSBC example, docs/schemes.md): F for
    a prospect, E for a churned customer, else A-D by value (monetary score) and loyalty
    (frequency score, tenure and lifetime purchases all at their minimums): A high value and high
    loyalty, B high value only, C high loyalty only, D neither. Arguments are SQL expressions, by
    default the columns of that name; the cut-offs are the grade_* vars. -#}
{% macro value_loyalty_grade(
    lifecycle_stage='lifecycle_stage',
    m_score='m_score',
    f_score='f_score',
    tenure_days='tenure_days',
    lifetime_purchases='lifetime_purchases'
) -%}
    {%- set is_high_value = m_score ~ ' >= ' ~ tiering.setting('grade_value_min_m_score') -%}
    {%- set is_loyal = '(' ~ f_score ~ ' >= ' ~ tiering.setting('grade_loyalty_min_f_score')
        ~ ' and ' ~ tenure_days ~ ' >= ' ~ tiering.setting('grade_loyalty_min_tenure_days')
        ~ ' and ' ~ lifetime_purchases ~ ' >= ' ~ tiering.setting('grade_loyalty_min_purchases') ~ ')' -%}
    case
        when {{ lifecycle_stage }} = 'prospect' then 'F'
        when {{ lifecycle_stage }} = 'churned' then 'E'
        when {{ is_high_value }} and {{ is_loyal }} then 'A'
        when {{ is_high_value }} then 'B'
        when {{ is_loyal }} then 'C'
        else 'D'
    end
{%- endmacro %}
