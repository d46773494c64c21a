"""K-means segments of the buyers on standardised log R, F and M (document 001, step 4), for the
dbt Python models of models/intermediate/value/fitted (docs/value.md).

Features: log(1 + recency days), log(1 + frequency), log(1 + max(monetary, 0)), each standardised
to mean 0 and standard deviation 1 (the logs tame the heavy tails of F and M, which would
otherwise decide the clusters alone; standardising weighs the three equally). Recency is
negated so that larger is better on all three axes.

Reproducible: customers are ordered by id before sampling, and the sample and k-means use the
seed. Clusters are numbered by decreasing mean monetary value (cluster 1 is the most valuable),
not by k-means' arbitrary labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_samples, silhouette_score

FEATURES = ("recency_days", "frequency", "monetary")
# K-means for choosing k runs on at most this many customers (each k costs a fit).
SELECTION_FIT_CUSTOMERS = 100_000


def buyers(rfm_scores: Any) -> pd.DataFrame:
    """The buyers of int_customer_rfm_scores (a DuckDB relation) with FEATURES, by customer id,
    so that samples and fits do not depend on the order the rows are read in."""
    customers = (
        rfm_scores.filter("last_purchase_date is not null")
        .select("customer_id, recency_days, frequency, monetary")
        .df()
    )
    return customers.sort_values("customer_id", kind="stable").reset_index(drop=True)


def features(customers: pd.DataFrame) -> np.ndarray:
    """Standardised log R (negated), F and M of `customers` (columns FEATURES), in their order."""
    raw = np.column_stack(
        [
            -np.log1p(customers["recency_days"].to_numpy(dtype=np.float64)),
            np.log1p(customers["frequency"].to_numpy(dtype=np.float64)),
            np.log1p(np.maximum(customers["monetary"].to_numpy(dtype=np.float64), 0)),
        ]
    )
    spread = raw.std(axis=0)
    return (raw - raw.mean(axis=0)) / np.where(spread > 0, spread, 1)


def _sample(rows: int, size: int, seed: int) -> np.ndarray:
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(seed).choice(rows, size, replace=False))


def _kmeans(k: int, seed: int) -> KMeans:
    return KMeans(n_clusters=k, random_state=seed, n_init=4)


def k_selection(
    x: np.ndarray, k_range: tuple[int, int], fixed_k: int | None, seed: int, sample_customers: int
) -> pd.DataFrame:
    """The silhouette (on a sample of `sample_customers`) and inertia of k-means for each k of
    `k_range` (or the fixed k alone), and the chosen k: the fixed one, else the best silhouette
    (the smallest k among equals)."""
    ks = [fixed_k] if fixed_k else list(range(k_range[0], k_range[1] + 1))
    fit_rows = _sample(len(x), SELECTION_FIT_CUSTOMERS, seed)
    scored = _sample(len(x), sample_customers, seed + 1)
    distinct = len(np.unique(x, axis=0))
    rows = []
    for k in ks:
        if k >= distinct:
            rows.append({"k": k, "silhouette": np.nan, "inertia": np.nan})
            continue
        model = _kmeans(k, seed).fit(x[fit_rows])
        labels = model.predict(x[scored])
        score = silhouette_score(x[scored], labels) if len(np.unique(labels)) > 1 else np.nan
        rows.append({"k": k, "silhouette": float(score), "inertia": float(model.inertia_)})
    table = pd.DataFrame(rows)
    if table["silhouette"].notna().any():
        best = table.loc[table["silhouette"].idxmax(), "k"]  # first maximum: the smallest k
    else:
        best = None
    table["is_chosen"] = table["k"] == best if fixed_k is None else table["k"] == fixed_k
    table["customers_scored"] = len(scored)
    return table


def assign(
    customers: pd.DataFrame, k: int | None, seed: int, sample_customers: int
) -> pd.DataFrame:
    """Cluster of each customer (`customers` has customer_id and FEATURES, ordered) with k-means
    on the standardised features: customer_id, cluster (1 = highest mean monetary) and the
    cluster's mean silhouette on a sample. Without a k (too few distinct customers to cluster)
    every cluster is null."""
    if k is None:
        return pd.DataFrame(
            {
                "customer_id": customers["customer_id"],
                "cluster": pd.array([None] * len(customers), dtype="Int64"),
                "cluster_silhouette": np.nan,
            }
        )
    x = features(customers)
    model = _kmeans(k, seed).fit(x)
    labels = model.labels_
    monetary = customers["monetary"].to_numpy(dtype=np.float64)
    means = np.array([monetary[labels == label].mean() for label in range(k)])
    number = np.empty(k, dtype=np.int64)
    number[np.argsort(-means, kind="stable")] = np.arange(1, k + 1)
    clusters = number[labels]
    scored = _sample(len(x), sample_customers, seed + 1)
    silhouettes = silhouette_samples(x[scored], clusters[scored])
    by_cluster = pd.Series(silhouettes).groupby(clusters[scored]).mean()
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"],
            "cluster": clusters,
            "cluster_silhouette": by_cluster.reindex(clusters).to_numpy(),
        }
    )
