{#- A query (SQL text) of the rows of `relation` (a relation or CTE with a column per scheme of
    segment_schemes) in long form: one row per row of `relation` and scheme, with `scheme` (its
    name), `segment` (the row's value in it; null: not classified by it), with `with_previous`
    also `previous_segment` (its column previous_<scheme>), and the `columns` kept.
    The one place that turns the schemes' columns into rows, so that what is written per scheme
    (migrations, KPIs, back-test) is written once for every scheme. -#}
{% macro scheme_segments(relation, columns, with_previous=false) -%}
    {%- for scheme in tiering.segment_schemes() %}
    select
        {{ columns | join(',\n        ') }},
        '{{ scheme }}' as scheme,
        {{ scheme }} as segment
        {%- if with_previous %},
        previous_{{ scheme }} as previous_segment
        {%- endif %}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
