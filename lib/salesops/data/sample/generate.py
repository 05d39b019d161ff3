"""The entry points: generate the sample company's tables, or write them as Parquet files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salesops import memory
from salesops.contract import schema
from salesops.data.sample.accounts import finish_accounts, make_accounts
from salesops.data.sample.activities import make_activities
from salesops.data.sample.clock import Clock
from salesops.data.sample.knobs import LEAD_CONVERSION, LEAD_SOURCED_SHARE, SKILL_VOLUME
from salesops.data.sample.leads import make_leads
from salesops.data.sample.opportunities import handle_departures, make_opportunities
from salesops.data.sample.orders import make_orders
from salesops.data.sample.people import monthly_demand, ramp_matrix, simulate_reps
from salesops.data.sample.submissions import make_forecast_submissions
from salesops.data.sample.tables import (
    accounts_frame, activities_frame, lead_ids_of, lead_rows, leads_frame, opportunities_frame, orders_frame,
    products_frame, reps_frame, sequential_ids, submissions_frame,
)


#: The tables of the sample company, in ``schema.TABLES`` order: every canonical one but the stage history, the
#: exchange rates (it sells in one currency), the quota history and line items (it carries quotas on its reps and
#: one product per deal, so they would add nothing; their rules are tested on hand-made files).
NOT_IN_SAMPLE: tuple[str, ...] = ("opportunity_history", "currency_rates", "quotas", "opportunity_lines")
SAMPLE_TABLES: tuple[str, ...] = tuple(name for name in schema.TABLES if name not in NOT_IN_SAMPLE)


#: Rows of the activities table built and written at a time by :func:`write_sample`: its frame would otherwise be
#: the run's largest object (34 million rows at scale 100); a slice of 500,000 rows takes about 0.1 GB.
WRITE_CHUNK_ROWS = 500_000


def _table_parts(end_date, scale: float, seed: int, history_years: int, chunk_rows: int | None
                 ) -> Iterator[tuple[str, pd.DataFrame]]:
    """Simulate the company, then yield ``(table name, frame)`` as each table is built, in the order the random
    draws need; the activities come in slices of at most ``chunk_rows`` rows (all at once when None)."""
    if not scale > 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if int(history_years) != history_years or history_years < 1:
        raise ValueError(f"history_years must be a whole number of years >= 1, got {history_years!r}")
    end = pd.Timestamp(end_date).normalize()
    start = end - pd.DateOffset(years=int(history_years)) + pd.Timedelta(days=1)
    rng = np.random.default_rng(seed)
    clock = Clock(start, end)

    reps = simulate_reps(rng, clock, scale)
    ramp = ramp_matrix(clock, reps)
    weight = ramp * np.exp(SKILL_VOLUME * reps["skill"])[:, None]
    accounts = make_accounts(rng, clock, scale)
    demand = monthly_demand(clock, reps, weight)
    leads = make_leads(rng, clock, reps, accounts, demand * LEAD_SOURCED_SHARE / LEAD_CONVERSION)
    opps = make_opportunities(rng, clock, reps, ramp, weight, accounts, leads,
                               demand * (1.0 - LEAD_SOURCED_SHARE))
    handle_departures(rng, clock, reps, opps)
    activities = make_activities(rng, clock, reps, opps)
    submissions = make_forecast_submissions(rng, clock, reps, opps)
    orders = make_orders(rng, clock, scale)
    account_rows = finish_accounts(rng, clock, reps, accounts, leads, opps)

    rep_ids = sequential_ids("R", len(reps["role"]), 4)
    account_ids = sequential_ids("A", len(account_rows), 6)
    yield "reps", reps_frame(reps, rep_ids)
    yield "accounts", accounts_frame(accounts, account_rows, rep_ids, account_ids)
    rows = lead_rows(rng, clock, leads, accounts)
    lead_ids = lead_ids_of(leads, rows)
    opp_ids, frame = opportunities_frame(rng, opps, accounts, rep_ids, account_ids, lead_ids)
    yield "opportunities", frame
    del frame
    n = len(rows["lead"])
    step = chunk_rows or max(n, 1)
    for lo in range(0, max(n, 1), step):
        yield "leads", leads_frame(rows, leads, accounts, rep_ids, account_ids, lead_ids, slice(lo, lo + step))
    del leads, rows, lead_ids
    n = len(activities["opp"])
    step = chunk_rows or max(n, 1)
    for lo in range(0, max(n, 1), step):
        yield "activities", activities_frame(activities, rep_ids, opp_ids, slice(lo, lo + step))
    del activities, opp_ids
    yield "products", products_frame(orders)
    yield "orders", orders_frame(orders)
    yield "forecast_submissions", submissions_frame(submissions, rep_ids)


def generate_sample(
    end_date: str | pd.Timestamp, scale: float = 1.0, seed: int = 42, history_years: int = 3
) -> dict[str, pd.DataFrame]:
    """Generate the sample company's canonical tables (``SAMPLE_TABLES``: all but ``NOT_IN_SAMPLE``).

    ``end_date`` is the last day of history (e.g. the day before the quarter being planned). ``scale`` 1
    gives about 60 AEs at ``end_date`` (and about 20k opportunities over three years); every count grows
    linearly with it. Returns ``{table name: DataFrame}`` in ``SAMPLE_TABLES`` order, with the canonical
    columns and dtypes; money is in the company currency, durations in minutes.
    """
    frames = dict(_table_parts(end_date, scale, seed, history_years, chunk_rows=None))
    return {name: frames[name] for name in SAMPLE_TABLES}


def write_sample(
    folder: Path, end_date: str | pd.Timestamp, scale: float = 1.0, seed: int = 42, history_years: int = 3,
    chunk_rows: int = WRITE_CHUNK_ROWS,
) -> list[Path]:
    """Generate the sample company and write one Parquet file per table, ``<folder>/<table>.parquet``.

    Each table is written as soon as it is built and then dropped, the activities ``chunk_rows`` at a time (one
    row group each), so memory holds the simulation's arrays and one table at a time, not every frame at once.
    The bytes are deterministic for the same arguments (and the same pyarrow version). Returns the paths
    written, in ``SAMPLE_TABLES`` order.
    """
    memory.release_freed_memory()  # the process that generates goes on (the runner): what it frees goes back
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for name, frame in _table_parts(end_date, scale, seed, history_years, chunk_rows):
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if name not in writers:
                writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema, compression="snappy")
            writers[name].write_table(table)
    finally:
        for writer in writers.values():
            writer.close()
    return [folder / f"{name}.parquet" for name in SAMPLE_TABLES]
