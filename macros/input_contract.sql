{#- The input column contract of domain.md, in one place. -#}
{% macro input_contract(table_name) %}
    {%- set contracts = {
        'raw_transactions': {
            'required': ['customer_id', 'transaction_date', 'amount'],
            'optional': ['transaction_id', 'line_id', 'cost', 'quantity', 'channel', 'product_category',
                         'status', 'source_file', 'source_file_version', 'source_row_number'],
        },
        'raw_customers': {
            'required': ['customer_id'],
            'optional': ['customer_type', 'industry', 'company_size', 'ownership', 'region',
                         'signup_date', 'name', 'email', 'phone', 'source_file', 'source_file_version',
                         'source_row_number'],
        },
    } -%}
    {%- if table_name not in contracts -%}
        {{ exceptions.raise_compiler_error(
            "input_contract: unknown input table '" ~ table_name ~ "'. Use one of: "
            ~ contracts.keys() | join(', ') ~ ".") }}
    {%- endif -%}
    {{ return(contracts[table_name]) }}
{% endmacro %}
