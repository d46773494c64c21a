{#- The fitted parameters of the value models (int_clv_fit): one row per parameter of BG/NBD and
    Gamma-Gamma, with the fit's as-of date, log-likelihood and convergence. -#}
with

fit as (
    select
        model_name,
        parameter,
        parameter_value,
        converged,
        failure_reason,
        log_likelihood,
        customers,
        iterations,
        as_of_date,
        time_unit_days,
        fitted_at
    from {{ ref('int_clv_fit') }}
),

final as (
    select
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(parameter as {{ dbt.type_string() }}) as parameter,
        cast(parameter_value as {{ tiering.type_double() }}) as parameter_value,
        cast(converged as boolean) as converged,
        cast(failure_reason as {{ dbt.type_string() }}) as failure_reason,
        cast(log_likelihood as {{ tiering.type_double() }}) as log_likelihood,
        cast(customers as {{ dbt.type_int() }}) as customers,
        cast(iterations as {{ dbt.type_int() }}) as iterations,
        cast(as_of_date as date) as as_of_date,
        cast(time_unit_days as {{ dbt.type_int() }}) as time_unit_days,
        cast(fitted_at as {{ dbt.type_timestamp() }}) as fitted_at
    from fit
)

select * from final
