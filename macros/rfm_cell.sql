{#- The RFM cell code, three digits such as '555', from three 1-5 score columns. -#}
{% macro rfm_cell(r_score, f_score, m_score) -%}
    {{ dbt.concat([
        dbt.cast(r_score, dbt.type_string()),
        dbt.cast(f_score, dbt.type_string()),
        dbt.cast(m_score, dbt.type_string()),
    ]) }}
{%- endmacro %}
