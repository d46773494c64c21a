"""How well k-means separates the buyers for each k (silhouette and inertia), and the k chosen
(customer_tiering.clusters; docs/value.md)."""

from customer_tiering import clusters


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    buyers = clusters.buyers(dbt.ref("int_customer_rfm_scores"))
    fixed_k = settings["cluster_k"]  # dbt renders the var as a number or None
    return clusters.k_selection(
        clusters.features(buyers),
        tuple(int(k) for k in settings["cluster_k_range"]),
        int(fixed_k) if fixed_k is not None else None,
        seed=int(settings["cluster_seed"]),
        sample_customers=int(settings["cluster_sample_customers"]),
    )
