{#- The B2B segment of a customer (document 003, docs/schemes.md): for a business customer, its
    size class, which decides the service model - 'large_account' (company_size large: account
    manager and technical support), 'sme' (company_size sme: standard product and self-service),
    'business_unknown_size' (no or another size); null for consumers and customers of unknown
    type. Arguments are SQL expressions of the customer file's lower-cased columns. -#}
{% macro b2b_segment(customer_type='customer_type', company_size='company_size') -%}
    case
        when {{ customer_type }} = 'business' and {{ company_size }} = 'large' then 'large_account'
        when {{ customer_type }} = 'business' and {{ company_size }} = 'sme' then 'sme'
        when {{ customer_type }} = 'business' then 'business_unknown_size'
    end
{%- endmacro %}
