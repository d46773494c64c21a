{#- SQL condition: the numbers `value` and `other` differ by at most `share` (a number literal)
    of the larger of the two in absolute value; two zeros are within any share. -#}
{% macro is_within_share(value, other, share) -%}
    abs({{ value }} - {{ other }}) <= {{ share }} * greatest(abs({{ value }}), abs({{ other }}))
{%- endmacro %}
