"""Benchmark: the dbt project against a raw-SQL floor and a pandas implementation.

``python -m customer_tiering.bench --sizes 1000000,10000000`` generates (once, cached under
``--work-dir``) the Parquet input of each size with ``customer_tiering.generate`` and then, in one
run and alternating the contenders, measures

* ``dbt build`` and ``dbt run`` of this project on DuckDB (a fresh DuckDB file per run, the
  project parsed beforehand by an untimed ``dbt ls``, or for ``dbt run`` an untimed ``dbt seed``
  since a fresh file holds no seed);
* ``floor``: one hand-written DuckDB query (``FLOOR_SQL``) over the same raw Parquet file;
* ``pandas``: the same computation in vectorised pandas (``pandas_tiers``).

Each contender runs as a child process; its wall time and the peak memory of the whole process
tree (``/proc`` sampled, see ``PeakMemory``) are recorded, with the ratio to the floor of the same
run. Every run's ``customer_tiers`` is compared with the floor's, every customer and column
(exact, except 1e-9 for the two shares). Results are appended as JSON lines to ``--results`` and
printed as a Markdown table; a disagreement or a failed contender makes the exit code 1.

The floor and the pandas contender implement the project's *default* vars only: as_of_date the
latest clean date, rfm_window_days 365, earliest_valid_date 1900-01-01, run date today (UTC),
date_formats [YYYY-MM-DD], '.' decimals without thousands separator, transaction grain,
pyramid_basis revenue, cut points 0.01/0.05/0.20 and 0.80/0.95, and the lifecycle and grade vars
of docs/schemes.md (lifecycle_new_days 90, lifecycle_churn_days 365, lifecycle_period_days 180,
lifecycle_growth_ratio 1.2, lifecycle_decline_ratio 0.8, lifecycle_overdue_factor 2,
grade_value_min_m_score 5, grade_loyalty_min_f_score 4, grade_loyalty_min_tenure_days 365,
grade_loyalty_min_purchases 2); the input columns are those of the generated files (all text).
Both publish every customer known at the as-of date: buyers, customers whose clean transactions
hold no purchase, and the customer file's prospects (scores and pyramid over the buyers only).
pandas holds amounts as int64 micro-units (the scale of the project's numeric(28, 6)), exact up
to 9,223,372 million per sum.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from customer_tiering.bench_more import (
    HISTORY,
    NIGHTLY,
    NIGHTLY_HISTORY,
    POSTGRES,
    SPARK,
    run_nightly,
    run_postgres,
    run_spark,
)
from customer_tiering.dbt_runner import PROJECT_DIR, DbtError, run_dbt
from customer_tiering.postgres import PostgresError
from customer_tiering.progress import Progress

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

SEGMENT_SEED = PROJECT_DIR / "seeds" / "rfm_segment_map.csv"
DEFAULT_WORK_DIR = Path(tempfile.gettempdir()) / "bench-tiering"
DEFAULT_SIZES = (1_000_000, 10_000_000)
FLOOR = "floor"
CONTENDERS = ("dbt build", "dbt run", FLOOR, "pandas")
ALL_CONTENDERS = (*CONTENDERS, NIGHTLY, HISTORY, NIGHTLY_HISTORY, POSTGRES, SPARK)
# The dbt contenders: the dbt command each times and whether it builds the history (tag history).
DBT_COMMANDS = {"dbt build": ("build", False), "dbt run": ("run", False), HISTORY: ("build", True)}
DEFAULT_POSTGRES_MAX = 1_000_000
DEFAULT_SPARK_MAX = 0
DEFAULT_HISTORY_MAX = 10_000_000
DEFAULT_PANDAS_MAX = 10_000_000
SEED = 42

# The project's default vars, as the floor and pandas apply them.
RFM_WINDOW_DAYS = 365
EARLIEST_VALID_DATE = date(1900, 1, 1)
PYRAMID_CUTS = (Fraction("0.01"), Fraction("0.05"), Fraction("0.20"))
PARETO_CUTS = (Fraction("0.80"), Fraction("0.95"))
BUCKETS = 5
LIFECYCLE_NEW_DAYS = 90
LIFECYCLE_CHURN_DAYS = 365
LIFECYCLE_PERIOD_DAYS = 180
LIFECYCLE_GROWTH_RATIO = Fraction("1.2")
LIFECYCLE_DECLINE_RATIO = Fraction("0.8")
LIFECYCLE_OVERDUE_FACTOR = 2
GRADE_VALUE_MIN_M_SCORE = 5
GRADE_LOYALTY_MIN_F_SCORE = 4
GRADE_LOYALTY_MIN_TENURE_DAYS = 365
GRADE_LOYALTY_MIN_PURCHASES = 2

TIER_COLUMNS = (
    "customer_id",
    "as_of_date",
    "customer_type",
    "region",
    "first_purchase_date",
    "last_purchase_date",
    "recency_days",
    "frequency",
    "monetary",
    "profit",
    "lifetime_revenue",
    "r_score",
    "f_score",
    "m_score",
    "rfm_cell",
    "rfm_segment",
    "pyramid_value",
    "pyramid_basis",
    "revenue_rank",
    "percent_rank",
    "cumulative_revenue_share",
    "pyramid_tier",
    "pareto_class",
    "tenure_days",
    "lifetime_purchases",
    "recent_spend",
    "recent_purchases",
    "previous_spend",
    "previous_purchases",
    "lifecycle_stage",
    "value_loyalty_grade",
    "b2b_segment",
)
DATE_COLUMNS = ("as_of_date", "first_purchase_date", "last_purchase_date")
DECIMAL_COLUMNS = (
    "monetary",
    "profit",
    "lifetime_revenue",
    "recent_spend",
    "previous_spend",
    "pyramid_value",
)
SHARE_COLUMNS = ("percent_rank", "cumulative_revenue_share")
SHARE_TOLERANCE = 1e-9

# ------------------------------------------------------------------------------------- floor

FLOOR_SQL = """
with

raw_rows as (
    select
        file_index,
        file_row_number as raw_row_number,
        nullif(trim(transaction_id), '') as transaction_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(transaction_date), '') as date_text,
        nullif(trim(amount), '') as amount_text,
        nullif(trim(cost), '') as cost_text,
        nullif(trim(quantity), '') as quantity_text,
        nullif(trim(channel), '') as channel,
        nullif(trim(product_category), '') as product_category,
        nullif(lower(trim(status)), '') as status
    from read_parquet($transactions, file_row_number = true)
),

-- A file without any transaction id: only exact copies of a row (same values) are duplicates.
files_without_ids as (
    select file_index
    from read_parquet($transactions)
    group by file_index
    having count(nullif(trim(transaction_id), '')) = 0
),

-- Dates YYYY-MM-DD (1 or 2 digit month and day, a time after it ignored) naming a real day;
-- numbers with an optional sign, up to 18 integer digits and '.' decimals, never 1e3 or NaN.
typed as (
    select
        raw_rows.*,
        raw_rows.file_index in (select file_index from files_without_ids) as has_no_ids,
        case when regexp_full_match(date_text, '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?')
            then try_cast(regexp_extract(date_text, '^[0-9]+-[0-9]+-[0-9]+') as date)
        end as transaction_date,
        case when regexp_full_match(amount_text, '[+-]?([0-9]{1,18}([.][0-9]*)?|[.][0-9]+)')
            then cast(amount_text as decimal(28, 6))
        end as amount,
        case when regexp_full_match(cost_text, '[+-]?([0-9]{1,18}([.][0-9]*)?|[.][0-9]+)')
            then cast(cost_text as decimal(28, 6))
        end as cost
    from raw_rows
),

-- The rows that fail every reject rule (which reason rejects a row does not matter here).
candidates as (
    select
        file_index,
        raw_row_number,
        transaction_id,
        case when has_no_ids then row(
            customer_id, date_text, amount_text, cost_text, quantity_text, channel,
            product_category, status
        ) end as copy_key,
        customer_id,
        transaction_date,
        amount,
        cost
    from typed
    where (transaction_id is not null or has_no_ids)
        and customer_id is not null
        and transaction_date between date '1900-01-01' and $run_date
        and amount is not null
        and status is distinct from 'cancelled'
),

-- The first copy of each transaction id: earliest date, lowest amount, customer id, position.
clean as (
    select
        customer_id,
        transaction_date,
        amount,
        cost
    from candidates
    qualify row_number() over (
        partition by transaction_id, copy_key
        order by transaction_date, amount, customer_id, file_index, raw_row_number
    ) = 1
),

as_of as (
    select
        max(transaction_date) as as_of_date,
        count(cost) > 0 as has_cost
    from clean
),

-- Per customer with a clean transaction dated on or before the as-of date A. A purchase has a
-- positive amount; the RFM window is the 365 days ending on A; the lifecycle periods are the 180
-- days ending on A (recent) and the 180 days before them (previous).
customer_metrics as (
    select
        clean.customer_id,
        as_of.as_of_date,
        min(clean.transaction_date) filter (where clean.amount > 0) as first_purchase_date,
        max(clean.transaction_date) filter (where clean.amount > 0) as last_purchase_date,
        as_of.as_of_date - max(clean.transaction_date) filter (
            where clean.amount > 0
        ) as recency_days,
        count(*) filter (
            where clean.amount > 0 and clean.transaction_date > as_of.as_of_date - 365
        ) as frequency,
        coalesce(sum(clean.amount) filter (
            where clean.transaction_date > as_of.as_of_date - 365
        ), 0) as monetary,
        case when any_value(as_of.has_cost) then coalesce(sum(
            clean.amount - coalesce(clean.cost, 0)
        ) filter (where clean.transaction_date > as_of.as_of_date - 365), 0) end as profit,
        sum(clean.amount) as lifetime_revenue,
        as_of.as_of_date - min(clean.transaction_date) filter (
            where clean.amount > 0
        ) as tenure_days,
        count(*) filter (where clean.amount > 0) as lifetime_purchases,
        coalesce(sum(clean.amount) filter (
            where clean.transaction_date > as_of.as_of_date - 180
        ), 0) as recent_spend,
        count(*) filter (
            where clean.amount > 0 and clean.transaction_date > as_of.as_of_date - 180
        ) as recent_purchases,
        coalesce(sum(clean.amount) filter (
            where clean.transaction_date > as_of.as_of_date - 360
            and clean.transaction_date <= as_of.as_of_date - 180
        ), 0) as previous_spend,
        count(*) filter (
            where clean.amount > 0
            and clean.transaction_date > as_of.as_of_date - 360
            and clean.transaction_date <= as_of.as_of_date - 180
        ) as previous_purchases
    from clean
    cross join as_of
    where clean.transaction_date <= as_of.as_of_date
    group by clean.customer_id, as_of.as_of_date
),

-- The buyers (a purchase on or before A), over whom alone the scores and the pyramid are
-- computed: positions for the scores (rank: the first row of a tie group), the revenue rank, the
-- running revenue share and the revenue held by the customers ranked strictly above the tie group.
ranked as (
    select
        customer_id,
        frequency,
        monetary,
        tenure_days,
        lifetime_purchases,
        count(*) over () as customer_count,
        rank() over (order by recency_days desc) as r_position,
        rank() over (order by frequency asc) as f_position,
        rank() over (order by monetary asc) as m_position,
        rank() over (order by monetary desc) as revenue_rank,
        sum(greatest(monetary, 0)) over (
            order by monetary desc, customer_id rows unbounded preceding
        ) as running_revenue,
        coalesce(sum(greatest(monetary, 0)) over (
            order by monetary desc groups between unbounded preceding and 1 preceding
        ), 0) as revenue_above,
        sum(greatest(monetary, 0)) over () as total_revenue
    from customer_metrics
    where last_purchase_date is not null
),

-- Tie-consistent NTILE(5): the bucket NTILE gives position p (the first row of the tie group)
-- of n rows, where the first n % 5 buckets hold n // 5 + 1 rows and the others n // 5.
ntile_sizes as (
    select
        *,
        customer_count // 5 as small_size,
        customer_count % 5 as big_buckets
    from ranked
),

scored as (
    select
        *,
        case when r_position <= big_buckets * (small_size + 1)
            then (r_position - 1) // (small_size + 1) + 1
            else (r_position - 1 - big_buckets) // nullif(small_size, 0) + 1
        end as r_score,
        case when f_position <= big_buckets * (small_size + 1)
            then (f_position - 1) // (small_size + 1) + 1
            else (f_position - 1 - big_buckets) // nullif(small_size, 0) + 1
        end as f_score,
        case when m_position <= big_buckets * (small_size + 1)
            then (m_position - 1) // (small_size + 1) + 1
            else (m_position - 1 - big_buckets) // nullif(small_size, 0) + 1
        end as m_score
    from ntile_sizes
),

-- Customer attributes: the first row of each customer id by signup date, then the values.
customer_rows as (
    select
        nullif(trim(customer_id), '') as customer_id,
        nullif(lower(trim(customer_type)), '') as customer_type,
        nullif(trim(industry), '') as industry,
        nullif(lower(trim(company_size)), '') as company_size,
        nullif(lower(trim(ownership)), '') as ownership,
        nullif(trim(region), '') as region,
        case when regexp_full_match(trim(signup_date), '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ T].*)?')
            and not starts_with(trim(signup_date), '0000')
            then try_cast(regexp_extract(trim(signup_date), '^[0-9]+-[0-9]+-[0-9]+') as date)
        end as signup_date
    from read_parquet($customers)
),

customers as (
    select
        customer_id,
        customer_type,
        company_size,
        region,
        signup_date
    from customer_rows
    where customer_id is not null
    qualify row_number() over (
        partition by customer_id
        order by signup_date, customer_type, industry, company_size, ownership, region
    ) = 1
),

segments as (
    select
        rfm_cell,
        rfm_segment
    from read_csv($segments, header = true, all_varchar = true)
),

-- The columns only buyers have, and the grade's value and loyalty (vars grade_*: m score 5;
-- f score 4, 365 days of tenure, 2 purchases).
buyer_tiers as (
    select
        scored.customer_id,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        concat(scored.r_score, scored.f_score, scored.m_score) as rfm_cell,
        segments.rfm_segment,
        scored.revenue_rank,
        case when scored.customer_count = 1 then 0.0
            else (scored.revenue_rank - 1) / (scored.customer_count - 1)
        end as percent_rank,
        coalesce(
            cast(scored.running_revenue as double)
            / nullif(cast(scored.total_revenue as double), 0),
            1.0
        ) as cumulative_revenue_share,
        case
            when scored.revenue_rank <= ceil(0.01 * scored.customer_count) then 'A'
            when scored.revenue_rank <= ceil(0.05 * scored.customer_count) then 'B'
            when scored.revenue_rank <= ceil(0.20 * scored.customer_count) then 'C'
            else 'D'
        end as pyramid_tier,
        case
            when scored.revenue_above <= 0 then 'A'
            when scored.revenue_above < 0.80 * scored.total_revenue then 'A'
            when scored.revenue_above < 0.95 * scored.total_revenue then 'B'
            else 'C'
        end as pareto_class,
        scored.m_score >= 5 as high_value,
        scored.f_score >= 4
        and scored.tenure_days >= 365
        and scored.lifetime_purchases >= 2 as high_loyalty
    from scored
    left join segments
        on concat(scored.r_score, scored.f_score, scored.m_score) = segments.rfm_cell
),

-- Every customer known at A, once: those with a clean transaction dated on or before A, and
-- the file's prospects (no such transaction; signed up on or before A, or no signup date).
universe as (
    select
        coalesce(customer_metrics.customer_id, customers.customer_id) as customer_id,
        as_of.as_of_date,
        customers.customer_type,
        customers.company_size,
        customers.region,
        customer_metrics.* exclude (customer_id, as_of_date)
    from customer_metrics
    full outer join customers
        on customer_metrics.customer_id = customers.customer_id
    cross join as_of
    where customer_metrics.customer_id is not null
        or customers.signup_date is null
        or customers.signup_date <= as_of.as_of_date
),

-- The first stage that applies (vars lifecycle_*: churn 365 days, new 90 days, decline ratio
-- 0.8, overdue factor 2, growth ratio 1.2), in exact decimal and integer arithmetic.
staged as (
    select
        *,
        case
            when last_purchase_date is null then 'prospect'
            when recency_days >= 365 then 'churned'
            when tenure_days < 90 then 'new'
            when previous_spend > 0 and recent_spend <= 0.8 * previous_spend then 'declining'
            when previous_purchases > 0 and recent_purchases <= 0.8 * previous_purchases
                then 'declining'
            when lifetime_purchases >= 2 and recency_days * (lifetime_purchases - 1)
                > 2 * (last_purchase_date - first_purchase_date) then 'declining'
            when recent_spend > 0
                and (previous_spend <= 0 or recent_spend >= 1.2 * previous_spend) then 'growing'
            else 'mature'
        end as lifecycle_stage
    from universe
),

final as (
    select
        staged.customer_id,
        staged.as_of_date,
        staged.customer_type,
        staged.region,
        staged.first_purchase_date,
        staged.last_purchase_date,
        staged.recency_days,
        staged.frequency,
        staged.monetary,
        staged.profit,
        staged.lifetime_revenue,
        buyer_tiers.r_score,
        buyer_tiers.f_score,
        buyer_tiers.m_score,
        buyer_tiers.rfm_cell,
        buyer_tiers.rfm_segment,
        case when buyer_tiers.customer_id is not null then staged.monetary end as pyramid_value,
        'revenue' as pyramid_basis,
        buyer_tiers.revenue_rank,
        buyer_tiers.percent_rank,
        buyer_tiers.cumulative_revenue_share,
        buyer_tiers.pyramid_tier,
        buyer_tiers.pareto_class,
        staged.tenure_days,
        staged.lifetime_purchases,
        staged.recent_spend,
        staged.recent_purchases,
        staged.previous_spend,
        staged.previous_purchases,
        staged.lifecycle_stage,
        case
            when staged.lifecycle_stage = 'prospect' then 'F'
            when staged.lifecycle_stage = 'churned' then 'E'
            when buyer_tiers.high_value and buyer_tiers.high_loyalty then 'A'
            when buyer_tiers.high_value then 'B'
            when buyer_tiers.high_loyalty then 'C'
            else 'D'
        end as value_loyalty_grade,
        case
            when staged.customer_type is distinct from 'business' then null
            when staged.company_size = 'large' then 'large_account'
            when staged.company_size = 'sme' then 'sme'
            else 'business_unknown_size'
        end as b2b_segment
    from staged
    left join buyer_tiers
        on staged.customer_id = buyer_tiers.customer_id
)

select * from final
"""


@dataclass(frozen=True)
class Inputs:
    """The generated files a benchmark size reads."""

    transactions: Path
    customers: Path


def floor_sql(inputs: Inputs, run_date: date) -> str:
    """FLOOR_SQL with the files and the run date filled in."""
    return string.Template(FLOOR_SQL).substitute(
        transactions=_sql_text(inputs.transactions),
        customers=_sql_text(inputs.customers),
        segments=_sql_text(SEGMENT_SEED),
        run_date=f"date {_sql_text(run_date.isoformat())}",
    )


def floor_table(connection: DuckDBPyConnection, inputs: Inputs, run_date: date) -> pa.Table:
    """customer_tiers by the floor query, as an Arrow table."""
    return connection.sql(floor_sql(inputs, run_date)).to_arrow_table()


def _sql_text(value: object) -> str:
    """A value as an SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


# The floor's child process: Python with DuckDB only, running the statement in the file argv[1].
FLOOR_CHILD = "import sys, duckdb; duckdb.connect().execute(open(sys.argv[1]).read())"


# ------------------------------------------------------------------------------------ pandas

IntArray = npt.NDArray[np.int64]
MICROS = 1_000_000
_MAX_WHOLE_DIGITS = 12  # an amount of 12 integer digits in micro-units still fits an int64
_MAX_MICROS_SUM = 2**63 - 1
_DATE_PATTERN = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[ T].*)?"
_NUMBER_PATTERN = r"[+-]?(?:[0-9]{1,18}(?:[.][0-9]*)?|[.][0-9]+)"
_RULE_COLUMNS = ("transaction_id", "customer_id", "transaction_date", "amount", "cost", "status")
_COPY_COLUMNS = ("quantity", "channel", "product_category")  # only tell exact copies apart
_CUSTOMER_TEXT = (
    "customer_id",
    "customer_type",
    "industry",
    "company_size",
    "ownership",
    "region",
    "signup_date",
)
_LOWERED = ("status", "customer_type", "company_size", "ownership")
_CUSTOMER_ORDER = ("signup_day", "customer_type", "industry", "company_size", "ownership", "region")
_INTEGER_COLUMNS = (
    "recency_days",
    "frequency",
    "r_score",
    "f_score",
    "m_score",
    "revenue_rank",
    "tenure_days",
    "lifetime_purchases",
    "recent_purchases",
    "previous_purchases",
)


def _read_text(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Text columns of a Parquet file, trimmed of spaces, empty as missing, some lower-cased."""
    frame = pd.read_parquet(path, columns=list(columns))
    for name in columns:
        text = frame[name].str.strip(" ")
        if name in _LOWERED:
            text = text.str.lower()
        frame[name] = text.where(text != "")
    return frame


def _matches(text: pd.Series, pattern: str) -> pd.Series:
    """True where the whole text matches `pattern` (false when missing)."""
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def parse_dates(text: pd.Series) -> pd.Series:
    """Days of texts written YYYY-MM-DD (1 or 2 digit month and day, a time after it ignored)
    that name a real day of a year from 1; NaT otherwise."""
    day_text = text.where(_matches(text, _DATE_PATTERN)).str.replace(r"[ T].*$", "", regex=True)
    days = pd.to_datetime(day_text, format="%Y-%m-%d", errors="coerce")
    return days.where(days.dt.year >= 1)


def micros(text: pd.Series) -> pd.Series:
    """Numbers (sign, up to 18 integer digits, '.' decimals) as int64 micro-units rounded half
    away from zero like numeric(28, 6); missing when the text is no such number."""
    number = text[_matches(text, _NUMBER_PATTERN)]
    unsigned = number.str.lstrip("+-")
    whole = unsigned.str.replace(r"[.].*$", "", regex=True)
    if (whole.str.len() > _MAX_WHOLE_DIGITS).any():
        raise ValueError(f"an amount has more than {_MAX_WHOLE_DIGITS} integer digits")
    fraction = unsigned.str.replace(r"^[0-9]*[.]?", "", regex=True)
    seven = fraction.str.pad(7, side="right", fillchar="0").str.slice(0, 7).astype("int64")
    magnitude = whole.where(whole != "", "0").astype("int64") * MICROS
    magnitude += seven // 10 + (seven % 10 >= 5)
    signed = magnitude.where(~number.str.startswith("-"), -magnitude)
    return signed.astype("Int64").reindex(text.index)


def _clean_transactions(raw: pd.DataFrame, run_date: date) -> pd.DataFrame:
    """The clean rows (every reject rule failed, first copy of each transaction id) with
    customer_id, day (datetime64), amount and cost (micro-units, cost nullable)."""
    raw = raw.assign(
        day=parse_dates(raw["transaction_date"]),
        amount_micros=micros(raw["amount"]),
        cost_micros=micros(raw["cost"]),
    )
    has_no_ids = bool(raw["transaction_id"].isna().all())
    passes = (
        (raw["transaction_id"].notna() | has_no_ids)
        & raw["customer_id"].notna()
        & raw["day"].between(pd.Timestamp(EARLIEST_VALID_DATE), pd.Timestamp(run_date))
        & raw["amount_micros"].notna()
        & (raw["status"] != "cancelled")
    )
    candidates = raw[passes]
    clean = candidates[~_later_copies(candidates, has_no_ids)]
    magnitudes = clean[["amount_micros", "cost_micros"]].astype("float64").abs().sum().sum()
    if magnitudes >= _MAX_MICROS_SUM:
        raise ValueError("the amounts add up to more than int64 micro-units can hold")
    return pd.DataFrame(
        {
            "customer_id": clean["customer_id"],
            "day": clean["day"],
            "amount": clean["amount_micros"].astype("int64"),
            "cost": clean["cost_micros"],
        }
    )


def _later_copies(candidates: pd.DataFrame, has_no_ids: bool) -> pd.Series:
    """True for every copy of a transaction id but the first (earliest date, lowest amount,
    customer id, file position); without ids, for every exact copy of a row but the first."""
    if has_no_ids:
        return candidates.duplicated(subset=[*_RULE_COLUMNS, *_COPY_COLUMNS], keep="first")
    repeated = candidates[candidates["transaction_id"].duplicated(keep=False)]
    ordered = repeated.sort_values(
        ["transaction_id", "day", "amount_micros", "customer_id"], kind="stable"
    )
    later = ordered["transaction_id"].duplicated(keep="first")
    return later.reindex(candidates.index, fill_value=False)


def _since(days: pd.Series, as_of: pd.Timestamp, span_days: int) -> pd.Series:
    """True for the days of the `span_days` ending on the as-of date (later than as_of - span)."""
    return days > as_of - pd.Timedelta(days=span_days)


def _days(spans: pd.Series) -> pd.Series:
    """Whole days of time spans, missing where a span is."""
    return spans.dt.days.astype("Int64")


def _customer_metrics(clean: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per customer with a clean transaction (none dated after the as-of date here): purchase
    dates, recency and tenure, the RFM window's frequency, monetary and profit, lifetime revenue
    and purchases, and the spend and purchases of the recent and previous lifecycle periods."""
    amount = clean["amount"]
    purchase = amount > 0
    in_window = _since(clean["day"], as_of, RFM_WINDOW_DAYS)
    recent = _since(clean["day"], as_of, LIFECYCLE_PERIOD_DAYS)
    previous = _since(clean["day"], as_of, 2 * LIFECYCLE_PERIOD_DAYS) & ~recent
    has_cost = bool(clean["cost"].notna().any())
    profit = amount - clean["cost"].fillna(0).astype("int64")
    sums = {
        "frequency": purchase & in_window,
        "monetary": amount.where(in_window, 0),
        "profit": profit.where(in_window, 0),
        "lifetime_revenue": amount,
        "lifetime_purchases": purchase,
        "recent_spend": amount.where(recent, 0),
        "recent_purchases": purchase & recent,
        "previous_spend": amount.where(previous, 0),
        "previous_purchases": purchase & previous,
    }
    metrics = (
        clean[["customer_id"]]
        .assign(purchase_day=clean["day"].where(purchase), **sums)
        .groupby("customer_id", sort=False)
        .agg(
            first_purchase_date=("purchase_day", "min"),
            last_purchase_date=("purchase_day", "max"),
            **{name: (name, "sum") for name in sums},
        )
        .reset_index()
    )
    metrics["recency_days"] = _days(as_of - metrics["last_purchase_date"])
    metrics["tenure_days"] = _days(as_of - metrics["first_purchase_date"])
    if not has_cost:
        metrics["profit"] = pd.NA
    return metrics


def tie_consistent_ntile(first_positions: IntArray, buckets: int = BUCKETS) -> IntArray:
    """NTILE(buckets) of the first row of each row's tie group (its 1-based rank)."""
    size, extra = divmod(len(first_positions), buckets)
    offset = first_positions - 1
    in_big = first_positions <= extra * (size + 1)
    return np.where(in_big, offset // (size + 1), (offset - extra) // max(size, 1)) + 1


def _first_positions(values: pd.Series, ascending: bool) -> IntArray:
    """rank() of each value in the given order (equal values share the first position)."""
    return values.rank(method="min", ascending=ascending).to_numpy(dtype=np.int64)


def _scores(metrics: pd.DataFrame) -> pd.DataFrame:
    """R, F and M scores (5 best) and the three-digit cell."""
    r = tie_consistent_ntile(_first_positions(metrics["recency_days"], ascending=False))
    f = tie_consistent_ntile(_first_positions(metrics["frequency"], ascending=True))
    m = tie_consistent_ntile(_first_positions(metrics["monetary"], ascending=True))
    cells = pd.Series(r * 100 + f * 10 + m, index=metrics.index).astype("str")
    return pd.DataFrame({"r_score": r, "f_score": f, "m_score": m, "rfm_cell": cells})


def _pyramid(metrics: pd.DataFrame) -> pd.DataFrame:
    """Revenue rank, percent rank, cumulative share, pyramid tier and Pareto class."""
    count = len(metrics)
    rank = _first_positions(metrics["monetary"], ascending=False)
    ordered = metrics.sort_values(["monetary", "customer_id"], ascending=[False, True])
    positive = ordered["monetary"].clip(lower=0).to_numpy(dtype=np.int64)
    running = np.cumsum(positive)
    total = int(running[-1]) if count else 0
    starts_group = ordered["monetary"].ne(ordered["monetary"].shift()).to_numpy()
    above_at_start = np.where(starts_group, running - positive, 0)
    group_start = np.maximum.accumulate(np.where(starts_group, np.arange(count), 0))
    above = pd.Series(above_at_start[group_start], index=ordered.index).reindex(metrics.index)
    share = running / total if total else np.ones(count)
    tier_limits = [math.ceil(cut * count) for cut in PYRAMID_CUTS]
    return pd.DataFrame(
        {
            "revenue_rank": rank,
            "percent_rank": (rank - 1) / (count - 1) if count > 1 else np.zeros(count),
            "cumulative_revenue_share": pd.Series(share, index=ordered.index),
            "pyramid_tier": np.select(
                [rank <= limit for limit in tier_limits], ["A", "B", "C"], "D"
            ),
            "pareto_class": _pareto_classes(above.to_numpy(dtype=np.int64), total),
        },
        index=metrics.index,
    )


def _pareto_classes(above: IntArray, total: int) -> npt.NDArray[np.str_]:
    """A while the revenue above the tie group is below 80 % of the total, B below 95 %, C."""
    below = [above * cut.denominator < total * cut.numerator for cut in PARETO_CUTS]
    return np.select([above <= 0, *below], ["A", "A", "B"], "C")


def _customer_attributes(path: Path) -> pd.DataFrame:
    """customer_type, region and signup day of the first row of each customer id (by signup
    date, then the values, missing last)."""
    rows = _read_text(path, _CUSTOMER_TEXT)
    rows["signup_day"] = parse_dates(rows["signup_date"])
    rows = rows[rows["customer_id"].notna()].sort_values(
        ["customer_id", *_CUSTOMER_ORDER], na_position="last", kind="stable"
    )
    first = rows.drop_duplicates("customer_id", keep="first")
    return first[["customer_id", "customer_type", "company_size", "region", "signup_day"]]


def _segments() -> pd.DataFrame:
    """The seed rfm_segment_map: rfm_cell -> rfm_segment."""
    return pd.read_csv(SEGMENT_SEED, dtype=str, usecols=["rfm_cell", "rfm_segment"])


def _read_transactions(path: Path) -> pd.DataFrame:
    """The text columns the rules read; those that only tell exact copies apart are read only
    when the file has no transaction id at all."""
    raw = _read_text(path, _RULE_COLUMNS)
    if raw["transaction_id"].notna().any():
        return raw
    return raw.join(_read_text(path, _COPY_COLUMNS))


def pandas_tiers(inputs: Inputs, run_date: date) -> pa.Table:
    """customer_tiers computed with pandas, as an Arrow table."""
    clean = _clean_transactions(_read_transactions(inputs.transactions), run_date)
    as_of = clean["day"].max()
    metrics = _customer_metrics(clean, as_of)
    tiers = _universe(metrics, _customer_attributes(inputs.customers), as_of)
    tiers = tiers.merge(_buyer_tiers(metrics), on="customer_id", how="left")
    tiers = tiers.assign(
        pyramid_value=tiers["monetary"].where(tiers["revenue_rank"].notna()),
        pyramid_basis="revenue",
    )
    stages = _lifecycle_stages(tiers)
    grades = _value_loyalty_grades(tiers, stages)
    return _arrow_tiers(
        tiers.assign(
            lifecycle_stage=stages, value_loyalty_grade=grades, b2b_segment=_b2b_segments(tiers)
        )
    )


def _b2b_segments(tiers: pd.DataFrame) -> pd.Series:
    """A business customer's size class; none for consumers and customers of unknown type."""
    business = tiers["customer_type"].eq("business").fillna(False)
    size = tiers["company_size"].map({"large": "large_account", "sme": "sme"})
    return size.fillna("business_unknown_size").where(business)


def _buyer_tiers(metrics: pd.DataFrame) -> pd.DataFrame:
    """Scores, segment and pyramid of the buyers (a purchase), computed over them only."""
    buyers = metrics[metrics["last_purchase_date"].notna()]
    tiers = pd.concat([buyers["customer_id"], _scores(buyers), _pyramid(buyers)], axis="columns")
    return tiers.merge(_segments(), on="rfm_cell", how="left")


def _universe(metrics: pd.DataFrame, customers: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every customer known at the as-of date, once: those with a clean transaction (measures
    nullable from here) and the file's prospects, signed up by then or without a signup date."""
    measures = metrics.astype({name: "Int64" for name in metrics.select_dtypes("int64").columns})
    merged = measures.merge(customers, on="customer_id", how="outer", indicator=True)
    signed_up = merged["signup_day"].isna() | (merged["signup_day"] <= as_of)
    known = merged[(merged["_merge"] != "right_only") | signed_up]
    return known.drop(columns=["_merge", "signup_day"]).assign(as_of_date=as_of)


def _known(condition: pd.Series) -> npt.NDArray[np.bool_]:
    """A condition over nullable columns as booleans, false where it is unknown."""
    return condition.to_numpy(dtype=bool, na_value=False)


def _fell(recent: pd.Series, previous: pd.Series) -> pd.Series:
    """previous > 0 and recent <= lifecycle_decline_ratio * previous (exact)."""
    ratio = LIFECYCLE_DECLINE_RATIO
    return (previous > 0) & (recent * ratio.denominator <= previous * ratio.numerator)


def _lifecycle_stages(tiers: pd.DataFrame) -> npt.NDArray[np.str_]:
    """The first lifecycle stage whose rule applies; mature when none does."""
    recency, purchases = tiers["recency_days"], tiers["lifetime_purchases"]
    recent, previous = tiers["recent_spend"], tiers["previous_spend"]
    span = _days(tiers["last_purchase_date"] - tiers["first_purchase_date"])
    overdue = (purchases >= 2) & (recency * (purchases - 1) > LIFECYCLE_OVERDUE_FACTOR * span)
    declining = _fell(recent, previous) | _fell(
        tiers["recent_purchases"], tiers["previous_purchases"]
    )
    growth = LIFECYCLE_GROWTH_RATIO
    grows = recent * growth.denominator >= previous * growth.numerator
    rules = {
        "prospect": tiers["last_purchase_date"].isna(),
        "churned": recency >= LIFECYCLE_CHURN_DAYS,
        "new": tiers["tenure_days"] < LIFECYCLE_NEW_DAYS,
        "declining": declining | overdue,
        "growing": (recent > 0) & ((previous <= 0) | grows),
    }
    return np.select([_known(rule) for rule in rules.values()], list(rules), "mature")


def _value_loyalty_grades(
    tiers: pd.DataFrame, stages: npt.NDArray[np.str_]
) -> npt.NDArray[np.str_]:
    """F for a prospect, E when churned, else A to D by value (m score) and loyalty (f score,
    tenure and purchases)."""
    high_value = _known(tiers["m_score"] >= GRADE_VALUE_MIN_M_SCORE)
    high_loyalty = _known(
        (tiers["f_score"] >= GRADE_LOYALTY_MIN_F_SCORE)
        & (tiers["tenure_days"] >= GRADE_LOYALTY_MIN_TENURE_DAYS)
        & (tiers["lifetime_purchases"] >= GRADE_LOYALTY_MIN_PURCHASES)
    )
    rules = {
        "F": stages == "prospect",
        "E": stages == "churned",
        "A": high_value & high_loyalty,
        "B": high_value,
        "C": high_loyalty,
    }
    return np.select(list(rules.values()), list(rules), "D")


def _decimals(values: pd.Series) -> pa.Array:
    """Micro-units (missing: null) as decimal128(28, 6): the int64 widened to the 128-bit
    unscaled value."""
    missing = values.isna().to_numpy()
    if missing.all():
        return pa.nulls(len(values), pa.decimal128(28, 6))
    low = values.to_numpy(dtype=np.int64, na_value=0)
    words = np.column_stack([low, low >> 63])
    validity = pa.array(~missing).buffers()[1] if missing.any() else None
    return pa.Array.from_buffers(pa.decimal128(28, 6), len(low), [validity, pa.py_buffer(words)])


def _arrow_column(name: str, values: pd.Series) -> pa.Array:
    """A column of customer_tiers with the mart's type (missing values null)."""
    if name in DATE_COLUMNS:
        return pa.array(values).cast(pa.date32())
    if name in DECIMAL_COLUMNS:
        return _decimals(values)
    if name in SHARE_COLUMNS:
        return pa.array(values, type=pa.float64())
    if name in _INTEGER_COLUMNS:
        return pa.array(values.astype("Int64"))
    return pa.array(values, type=pa.string(), from_pandas=True)


def _arrow_tiers(tiers: pd.DataFrame) -> pa.Table:
    """The columns of customer_tiers with the mart's types."""
    return pa.table({name: _arrow_column(name, tiers[name]) for name in TIER_COLUMNS})


# --------------------------------------------------------------------------------- agreement


@dataclass(frozen=True)
class Agreement:
    """How a contender's customer_tiers differs from the floor's."""

    differing_customers: int
    examples: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        return self.differing_customers == 0


def _relation(connection: DuckDBPyConnection, source: Path, alias: str) -> str:
    """customer_tiers of a result: a Parquet file, or the mart of a dbt DuckDB file."""
    if source.suffix == ".parquet":
        return f"read_parquet({_sql_text(source)})"
    connection.execute(f"attach {_sql_text(source)} as {alias} (read_only)")
    return f"{alias}.marts.customer_tiers"


def _difference_sql(column: str) -> str:
    """'column: left != right' when the two sides differ, else null."""
    if column in SHARE_COLUMNS:  # null (no buyer) on both sides is no difference
        differs = f"coalesce(abs(a.{column} - b.{column}) > {SHARE_TOLERANCE}, "
        differs += f"a.{column} is distinct from b.{column})"
    else:
        differs = f"a.{column} is distinct from b.{column}"
    shown = f"coalesce(cast(a.{column} as varchar), 'null') || ' != ' || "
    shown += f"coalesce(cast(b.{column} as varchar), 'null')"
    return f"case when {differs} then '{column}: ' || {shown} end"


def _columns(connection: DuckDBPyConnection, relation: str) -> set[str]:
    """The column names of a relation (bound, not read)."""
    return set(connection.sql(f"select * from {relation}").columns)


def compare_tiers(candidate: Path, basis: Path, examples: int = 5) -> Agreement:
    """Every customer and column of `candidate`'s customer_tiers against `basis`'s (every
    customer differs when the candidate lacks a column)."""
    import duckdb  # here, so that the pandas contender's process never loads it

    with duckdb.connect() as connection:
        left = _relation(connection, candidate, "candidate")
        right = _relation(connection, basis, "basis")
        present = _columns(connection, left)
        lacking = [name for name in TIER_COLUMNS if name not in present]
        if lacking:
            [(count,)] = connection.execute(f"select count(*) from {left}").fetchall()
            return Agreement(max(count, 1), (f"the contender lacks {', '.join(lacking)}",))
        columns = ", ".join(TIER_COLUMNS)
        differences = ",\n".join(_difference_sql(column) for column in TIER_COLUMNS[1:])
        sql = f"""
            with
            a as (select {columns} from {left}),
            b as (select {columns} from {right}),
            compared as (
                select
                    coalesce(a.customer_id, b.customer_id) as customer_id,
                    case
                        when a.customer_id is null then ['missing in the contender']
                        when b.customer_id is null then ['missing in the floor']
                        else list_filter([{differences}], lambda item: item is not null)
                    end as differences
                from a full outer join b on a.customer_id = b.customer_id
            )
            select customer_id, differences, count(*) over () as differing
            from compared
            where len(differences) > 0
            order by customer_id
            limit {examples}
        """
        rows = connection.execute(sql).fetchall()
    if not rows:
        return Agreement(0)
    shown = tuple(f"{customer}: {'; '.join(items)}" for customer, items, _ in rows)
    return Agreement(int(rows[0][2]), shown)


# ------------------------------------------------------------------------------ measurement


def _children_by_parent() -> dict[int, list[int]]:
    """The process ids of /proc by parent process id."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    return children


def _descendants(root: int) -> list[int]:
    """Every process below `root` (not `root` itself)."""
    children = _children_by_parent()
    found: list[int] = []
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _memory_kib(pid: int) -> tuple[int, int]:
    """(current, peak) resident set size of a process in KiB; (0, 0) once it is gone."""
    values = {"VmRSS:": 0, "VmHWM:": 0}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                name, _, rest = line.partition("\t")
                if name in values:
                    values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return 0, 0
    return values["VmRSS:"], values["VmHWM:"]


@dataclass
class PeakMemory:
    """Peak resident memory of this process's whole tree of children, while in the block.

    A thread samples /proc every `interval` seconds: the sum of the children's resident sets,
    and each child's own high-water mark (VmHWM), so a single process's short peak is never
    missed. The peak is the larger of the two.
    """

    interval: float = 0.05
    peak_bytes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _sample(self) -> None:
        root = os.getpid()
        peak_kib = 0
        while True:
            stopping = self._stop.is_set()
            sizes = [_memory_kib(pid) for pid in _descendants(root)]
            peak_kib = max([peak_kib, sum(rss for rss, _ in sizes), *(hwm for _, hwm in sizes)])
            self.peak_bytes = peak_kib * 1024
            if stopping:
                return
            self._stop.wait(self.interval)


@dataclass(frozen=True)
class Timed:
    """Wall seconds and peak tree memory of a command, and the customer_tiers it produced."""

    seconds: float
    peak_bytes: int
    output: Path
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Measurement:
    """One run of one contender."""

    transactions: int
    contender: str
    repeat: int
    seconds: float
    peak_bytes: int
    output: Path | None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def measure(command: Callable[[], Path]) -> Timed:
    """Run `command` (which returns its output), timed and with its children's peak memory."""
    with PeakMemory() as memory:
        started = time.perf_counter()
        output = command()
        seconds = time.perf_counter() - started
    return Timed(seconds, memory.peak_bytes, output)


# ------------------------------------------------------------------------------- contenders


@dataclass(frozen=True)
class Workspace:
    """Where one size's runs keep their DuckDB files, dbt target and log folders and outputs."""

    root: Path
    inputs: Inputs
    run_date: date

    def path(self, contender: str, suffix: str) -> Path:
        """A file or folder of `contender`'s, its name without spaces or commas (PostgreSQL
        reads a comma in its socket directory as a list separator)."""
        name = "-".join(contender.replace(",", " ").split())
        return self.root / (name + suffix)


def _dbt_args(
    workspace: Workspace,
    command: str,
    contender: str,
    exclude: tuple[str, ...] = (),
    history: bool = False,
) -> list[str]:
    """`dbt <command>` of the tiers (the history's nodes, tag `history`, left out unless
    `history`: the floor computes `customer_tiers` alone), with the inputs as vars, the
    contender's target and log folders, and more nodes to leave out (`exclude`)."""
    dbt_vars = {
        "transactions_path": str(workspace.inputs.transactions),
        "customers_path": str(workspace.inputs.customers),
    }
    folder = workspace.path(contender, "")
    exclude = exclude if history else ("tag:history", *exclude)
    return [
        command,
        *(("--exclude", *exclude) if exclude else ()),
        "--vars",
        json.dumps(dbt_vars),
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
    ]


def _fresh_database(path: Path, dbt_folder: Path) -> dict[str, str]:
    """Remove a DuckDB file (and its WAL), and dbt's target and log folders of an earlier run;
    the environment that points dbt at the file."""
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    _fresh_dbt_folders(dbt_folder)
    return {"TIERING_TARGET": "duckdb", "TIERING_DUCKDB_PATH": str(path)}


def _fresh_dbt_folders(dbt_folder: Path) -> None:
    """Remove dbt's target and log folders of an earlier run: its partial-parse state names the
    files of the checkout that ran it, which may be gone or older than this one."""
    for stale in ("target", "logs"):
        shutil.rmtree(dbt_folder / stale, ignore_errors=True)


def _run_dbt_contender(workspace: Workspace, contender: str) -> Timed:
    """`dbt build` or `dbt run` (DBT_COMMANDS) into a fresh DuckDB file, after an untimed `dbt ls`
    (build) or `dbt seed` (run: a fresh file holds no seed) with the same vars and target folder,
    so that the timed command finds the project parsed, as a scheduled run does. (`dbt parse`
    fails on this project's unit test fixtures written in SQL with Jinja; `ls` parses like
    `build`.)"""
    command, history = DBT_COMMANDS[contender]
    database = workspace.path(contender, ".duckdb")
    env = _fresh_database(database, workspace.path(contender, ""))
    prepare = "seed" if command == "run" else "ls"
    run_dbt(_dbt_args(workspace, prepare, contender, history=history), env=env)

    def dbt_command() -> Path:
        run_dbt(_dbt_args(workspace, command, contender, history=history), env=env)
        return database

    timed = measure(dbt_command)
    results = workspace.path(contender, "") / "target" / "run_results.json"
    return replace(timed, details=dbt_details(results))


def dbt_details(run_results: Path, slowest: int = 5) -> dict[str, Any]:
    """dbt's own elapsed time (the rest of the wall time is start-up, parse, manifest) and the
    slowest nodes, from its run_results.json."""
    results = json.loads(run_results.read_text(encoding="utf-8"))
    nodes = sorted(results["results"], key=lambda node: -node["execution_time"])
    return {
        "dbt_elapsed_seconds": results["elapsed_time"],
        "nodes": len(nodes),
        "slowest_nodes": [[node["unique_id"], node["execution_time"]] for node in nodes[:slowest]],
    }


def _child_command(workspace: Workspace, contender: str, output: Path) -> list[str]:
    """The floor: its COPY statement (kept as floor.sql) in Python with DuckDB only; pandas:
    this module's `contender pandas`."""
    if contender == FLOOR:
        statement = workspace.path(FLOOR, ".sql")
        query = floor_sql(workspace.inputs, workspace.run_date)
        statement.write_text(f"copy ({query}) to {_sql_text(output)} (format parquet);\n")
        return [sys.executable, "-c", FLOOR_CHILD, str(statement)]
    inputs = workspace.inputs
    return [
        *(sys.executable, "-m", "customer_tiering.bench", "contender", contender),
        *("--transactions", str(inputs.transactions), "--customers", str(inputs.customers)),
        *("--run-date", workspace.run_date.isoformat(), "--output", str(output)),
    ]


def _run_child_contender(workspace: Workspace, contender: str) -> Timed:
    """The floor or the pandas contender in a child Python process writing Parquet."""
    output = workspace.path(contender, ".parquet")
    output.unlink(missing_ok=True)
    command = _child_command(workspace, contender, output)

    # In the workspace, where DuckDB may spill to disk; the project importable from there.
    paths = [str(PROJECT_DIR), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}

    def child() -> Path:
        completed = subprocess.run(
            command, cwd=workspace.root, env=env, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{contender} failed:\n{completed.stderr[-3000:]}")
        return output

    return measure(child)


def _run_any_contender(workspace: Workspace, contender: str) -> Timed:
    if contender in (NIGHTLY, NIGHTLY_HISTORY):
        return run_nightly(workspace, contender, measure, _run_child_contender)
    if contender == POSTGRES:
        return run_postgres(workspace, measure, TIER_COLUMNS, workspace.path(FLOOR, ".parquet"))
    if contender == SPARK:
        return run_spark(workspace, measure)
    if contender in DBT_COMMANDS:
        return _run_dbt_contender(workspace, contender)
    return _run_child_contender(workspace, contender)


def run_contender(workspace: Workspace, contender: str, size: int, repeat: int) -> Measurement:
    """One timed run of `contender`; a failure is recorded, not raised."""
    try:
        timed = _run_any_contender(workspace, contender)
    except (DbtError, RuntimeError, OSError, PostgresError) as error:
        return Measurement(size, contender, repeat, math.nan, 0, None, str(error)[-2000:])
    return Measurement(
        size, contender, repeat, timed.seconds, timed.peak_bytes, timed.output, None, timed.details
    )


@dataclass(frozen=True)
class Limits:
    """The largest sizes some contenders run at: pandas holds every column in memory (about
    0.4 GB per million rows here), PostgreSQL is measured at its 1 M size, and the history's
    full build takes some 3 minutes at 10 M. Spark runs only when asked (--spark-max)."""

    pandas_max: int = DEFAULT_PANDAS_MAX
    postgres_max: int = DEFAULT_POSTGRES_MAX
    history_max: int = DEFAULT_HISTORY_MAX
    spark_max: int = DEFAULT_SPARK_MAX


def contender_order(repeat: int, size: int, limits: Limits) -> list[str]:
    """The contenders of one repeat, rotated by one place per repeat (pandas only up to its
    limit); then the nightly run (it continues from dbt build's database and needs the floor's
    output), the build with the history and its night (up to its limit) and PostgreSQL (up to
    its limit)."""
    shift = repeat % len(CONTENDERS)
    rotated = [*CONTENDERS[shift:], *CONTENDERS[:shift]]
    if size > limits.pandas_max:
        rotated.remove("pandas")
    history = [HISTORY, NIGHTLY_HISTORY] if size <= limits.history_max else []
    engines = [
        *([POSTGRES] if size <= limits.postgres_max else []),
        *([SPARK] if size <= limits.spark_max else []),
    ]
    return [*rotated, NIGHTLY, *history, *engines]


# ------------------------------------------------------------------------------------ inputs


def generator_args(size: int) -> list[str]:
    """The generator's options for a benchmark size: size transactions, size / 10 customers."""
    customers = max(size // 10, 1)
    return [
        *("--format", "parquet", "--customers", str(customers)),
        *("--transactions", str(size), "--seed", str(SEED)),
    ]


def ensure_inputs(work_dir: Path, size: int) -> Inputs:
    """The generated Parquet files of `size`, generated once and cached under `work_dir`."""
    out_dir = work_dir / "data" / f"transactions-{size}"
    marker = out_dir / "generated.json"
    args = generator_args(size)
    if not marker.exists() or json.loads(marker.read_text())["args"] != args:
        shutil.rmtree(out_dir, ignore_errors=True)
        print(f"generating {size:,} transactions into {out_dir}", file=sys.stderr)
        command = [sys.executable, "-m", "customer_tiering.generate", "--out", str(out_dir), *args]
        subprocess.run(command, cwd=PROJECT_DIR, check=True, stdout=subprocess.DEVNULL)
        marker.write_text(json.dumps({"args": args}))
    return Inputs(out_dir / "transactions.parquet", out_dir / "customers.parquet")


# ----------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Row:
    """One line of the results table: a contender at a size, medians over the repeats."""

    transactions: int
    contender: str
    seconds: float
    seconds_ratio: float
    peak_bytes: int
    memory_ratio: float
    agrees: str


def _ratio(value: float, basis: float) -> float:
    """value / basis, NaN when either is unknown or the basis is 0."""
    if math.isnan(value) or math.isnan(basis) or basis == 0:
        return math.nan
    return value / basis


def _median(values: Sequence[float]) -> float:
    finite = [value for value in values if not math.isnan(value)]
    return statistics.median(finite) if finite else math.nan


def summarize(
    measurements: Sequence[Measurement], agreements: dict[tuple[int, str, int], Agreement]
) -> list[Row]:
    """Median time and memory per size and contender, and their ratios to the floor's."""
    rows = []
    for size in sorted({m.transactions for m in measurements}):
        at_size = [m for m in measurements if m.transactions == size]
        floor = [m for m in at_size if m.contender == FLOOR]
        floor_seconds = _median([m.seconds for m in floor])
        floor_bytes = _median([m.peak_bytes for m in floor if m.error is None])
        for contender in ALL_CONTENDERS:
            runs = [m for m in at_size if m.contender == contender]
            if not runs:
                continue
            seconds = _median([m.seconds for m in runs])
            peak = _median([m.peak_bytes for m in runs if m.error is None])
            rows.append(
                Row(
                    size,
                    contender,
                    seconds,
                    _ratio(seconds, floor_seconds),
                    0 if math.isnan(peak) else int(peak),
                    _ratio(peak, floor_bytes),
                    _agreement_text(runs, agreements),
                )
            )
    return rows


def _agreement_text(
    runs: Sequence[Measurement], agreements: dict[tuple[int, str, int], Agreement]
) -> str:
    """'yes', 'basis' (the floor), or what went wrong."""
    if any(run.error for run in runs):
        return "failed"
    if runs and runs[0].contender == FLOOR:
        return "basis"
    checked = [agreements.get((r.transactions, r.contender, r.repeat)) for r in runs]
    if any(agreement is None for agreement in checked):
        return "unchecked"
    worst = max(agreement.differing_customers for agreement in checked if agreement)
    return "yes" if worst == 0 else f"no ({worst:,} customers differ)"


def _bytes_text(size: float) -> str:
    if size <= 0 or math.isnan(size):
        return "-"
    return f"{size / 2**30:.2f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def _ratio_text(ratio: float) -> str:
    return "-" if math.isnan(ratio) or math.isinf(ratio) else f"{ratio:.1f}"


def markdown_table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| transactions | contender | seconds | x floor | peak memory | x floor | agrees |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| {row.transactions:,} | {row.contender} | {row.seconds:.1f} | "
        f"{_ratio_text(row.seconds_ratio)} | {_bytes_text(row.peak_bytes)} | "
        f"{_ratio_text(row.memory_ratio)} | {row.agrees} |"
        for row in rows
    ]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    memory_kib = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_bytes": memory_kib * 1024,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": importlib.metadata.version("duckdb"),
        "pandas": pd.__version__,
    }


def result_record(
    measurement: Measurement, agreement: Agreement | None, floor: Measurement | None
) -> dict[str, Any]:
    """One JSON line of the results file."""
    record = asdict(measurement)
    record["output"] = None if measurement.output is None else str(measurement.output)
    if floor is not None:
        record["seconds_x_floor"] = _ratio(measurement.seconds, floor.seconds)
        record["memory_x_floor"] = _ratio(measurement.peak_bytes, floor.peak_bytes)
    record["differing_customers"] = None if agreement is None else agreement.differing_customers
    record["difference_examples"] = [] if agreement is None else list(agreement.examples)
    return record


# -------------------------------------------------------------------------------------- run


@dataclass
class Outcome:
    """Everything one benchmark invocation measured."""

    measurements: list[Measurement] = field(default_factory=list)
    agreements: dict[tuple[int, str, int], Agreement] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        failed = any(m.error for m in self.measurements)
        return not failed and all(a.agrees for a in self.agreements.values())


def _floor_run(runs: Sequence[Measurement]) -> Measurement | None:
    return next((run for run in runs if run.contender == FLOOR and run.output), None)


def _check_repeat(runs: Sequence[Measurement], outcome: Outcome) -> None:
    """Compare every run of one repeat with the floor's result of that repeat."""
    floor = _floor_run(runs)
    for run in runs:
        if floor is None or floor.output is None or run is floor or run.output is None:
            continue
        # The nightly run is checked against the floor over its own input (history and day).
        basis = Path(run.details.get("basis_output") or floor.output)
        key = (run.transactions, run.contender, run.repeat)
        outcome.agreements[key] = compare_tiers(run.output, basis)


def _record_repeat(
    runs: Sequence[Measurement], outcome: Outcome, results: Path, host: dict[str, Any]
) -> None:
    """Append one JSON line per run to `results`, then remove the runs' outputs."""
    floor = _floor_run(runs)
    with results.open("a", encoding="utf-8") as out:
        for run in runs:
            agreement = outcome.agreements.get((run.transactions, run.contender, run.repeat))
            record = {**result_record(run, agreement, floor), "machine": host}
            record["recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            record["load_average_1min"] = os.getloadavg()[0]  # > 1 here: others were running
            out.write(json.dumps(record) + "\n")
    for run in runs:
        for output in (run.output, run.details.get("basis_output")):
            if output is not None and Path(output).suffix == ".parquet":
                Path(output).unlink(missing_ok=True)


def benchmark(
    work_dir: Path,
    sizes: Sequence[int],
    repeats: int,
    results: Path,
    limits: Limits = Limits(),
) -> Outcome:
    """Measure every contender at every size, alternating them; append JSON lines to `results`
    after each repeat."""
    outcome = Outcome()
    run_date = datetime.now(UTC).date()
    host = machine()
    results.parent.mkdir(parents=True, exist_ok=True)
    # Progress in transactions processed: a run at 10 M weighs ten runs at 1 M.
    work = sum(size * len(contender_order(0, size, limits)) * repeats for size in sizes)
    with Progress("bench", work) as progress:
        for size in sizes:
            root = work_dir / "runs" / str(size)
            root.mkdir(parents=True, exist_ok=True)
            workspace = Workspace(root, ensure_inputs(work_dir, size), run_date)
            for repeat in range(repeats):
                runs = []
                for contender in contender_order(repeat, size, limits):
                    step = f"{size:,} transactions, run {repeat + 1}: {contender}"
                    progress.write_above(step + "\n")
                    progress.update(progress.done, step)
                    runs.append(run_contender(workspace, contender, size, repeat))
                    progress.advance(size, step)
                _check_repeat(runs, outcome)
                outcome.measurements.extend(runs)
                _record_repeat(runs, outcome, results, host)
    return outcome


def _sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or any(size < 10 for size in sizes):
        raise argparse.ArgumentTypeError("sizes are transaction counts of at least 10")
    return sizes


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m customer_tiering.bench",
        description="Benchmark dbt build / dbt run against a raw-SQL floor and pandas.",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="transaction counts, comma-separated (default 1000000,10000000)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per contender (default 1)")
    parser.add_argument(
        "--pandas-max",
        type=int,
        default=DEFAULT_PANDAS_MAX,
        help="largest size pandas runs at (default 10000000: 100 M rows need some 40 GB)",
    )
    parser.add_argument(
        "--postgres-max",
        type=int,
        default=DEFAULT_POSTGRES_MAX,
        help="largest size also built on PostgreSQL (default 1000000; 0: never)",
    )
    parser.add_argument(
        "--spark-max",
        type=int,
        default=DEFAULT_SPARK_MAX,
        help="largest size also built on local Spark (default 0: never; needs make venv-spark)",
    )
    parser.add_argument(
        "--history-max",
        type=int,
        default=DEFAULT_HISTORY_MAX,
        help="largest size also built with the history, and its night (default 10000000; 0: never)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK_DIR,
        help=f"generated inputs, DuckDB files, dbt target and logs (default {DEFAULT_WORK_DIR})",
    )
    parser.add_argument(
        "--results", type=Path, help="JSON lines appended here (default WORK_DIR/results.jsonl)"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    args.work_dir = args.work_dir.resolve()
    args.results = (args.results or args.work_dir / "results.jsonl").resolve()
    return args


def _contender_main(argv: Sequence[str]) -> int:
    """`contender pandas ...`: the pandas contender in this process (the child of a run)."""
    parser = argparse.ArgumentParser(prog="python -m customer_tiering.bench contender")
    parser.add_argument("name", choices=("pandas",))
    parser.add_argument("--transactions", type=Path, required=True)
    parser.add_argument("--customers", type=Path, required=True)
    parser.add_argument("--run-date", type=date.fromisoformat, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    inputs = Inputs(args.transactions, args.customers)
    pq.write_table(pandas_tiers(inputs, args.run_date), args.output)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a contender failed or disagreed with the floor."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["contender"]:
        return _contender_main(argv[1:])
    args = _parse_args(argv)
    limits = Limits(args.pandas_max, args.postgres_max, args.history_max, args.spark_max)
    outcome = benchmark(args.work_dir, args.sizes, args.repeats, args.results, limits)
    print(markdown_table(summarize(outcome.measurements, outcome.agreements)))
    for (size, contender, repeat), agreement in sorted(outcome.agreements.items()):
        for example in agreement.examples:
            print(f"{size:,} {contender} (repeat {repeat + 1}) differs: {example}")
    for failure in (m for m in outcome.measurements if m.error):
        print(f"{failure.transactions:,} {failure.contender} failed: {failure.error}")
    print(f"results appended to {args.results}", file=sys.stderr)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
