"""The k-means cluster of each buyer with the chosen k (int_cluster_k_selection;
customer_tiering.clusters; docs/value.md)."""

from customer_tiering import clusters


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")
    buyers = clusters.buyers(dbt.ref("int_customer_rfm_scores"))
    # A ref of its own: dbt's parser does not see one inside a subscript.
    selection = dbt.ref("int_cluster_k_selection").filter("is_chosen").df()
    chosen = selection["k"].tolist()
    return clusters.assign(
        buyers,
        int(chosen[0]) if chosen else None,
        seed=int(settings["cluster_seed"]),
        sample_customers=int(settings["cluster_sample_customers"]),
    )
