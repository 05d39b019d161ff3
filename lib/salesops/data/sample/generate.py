"""The entry points: generate the sample company's tables, or write them as Parquet files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

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
    accounts_frame, activities_frame, leads_frame, opportunities_frame, orders_frame, products_frame,
    reps_frame, sequential_ids, submissions_frame,
)


#: The tables of the sample company, in ``schema.TABLES`` order: every canonical one but the stage history, the
#: exchange rates (it sells in one currency), the quota history and line items (it carries quotas on its reps and
#: one product per deal, so they would add nothing; their rules are tested on hand-made files).
NOT_IN_SAMPLE: tuple[str, ...] = ("opportunity_history", "currency_rates", "quotas", "opportunity_lines")
SAMPLE_TABLES: tuple[str, ...] = tuple(name for name in schema.TABLES if name not in NOT_IN_SAMPLE)


def generate_sample(
    end_date: str | pd.Timestamp, scale: float = 1.0, seed: int = 42, history_years: int = 3
) -> dict[str, pd.DataFrame]:
    """Generate the sample company's canonical tables (``SAMPLE_TABLES``: all but ``NOT_IN_SAMPLE``).

    ``end_date`` is the last day of history (e.g. the day before the quarter being planned). ``scale`` 1
    gives about 60 AEs at ``end_date`` (and about 20k opportunities over three years); every count grows
    linearly with it. Returns ``{table name: DataFrame}`` in ``SAMPLE_TABLES`` order, with the canonical
    columns and dtypes; money is in the company currency, durations in minutes.
    """
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
    frames = {
        "reps": reps_frame(reps, rep_ids),
        "accounts": accounts_frame(accounts, account_rows, rep_ids, account_ids),
    }
    lead_ids, frames["leads"] = leads_frame(rng, clock, leads, accounts, rep_ids, account_ids)
    opp_ids, frames["opportunities"] = opportunities_frame(rng, opps, accounts, rep_ids, account_ids, lead_ids)
    frames["activities"] = activities_frame(activities, rep_ids, opp_ids)
    frames["products"] = products_frame(orders)
    frames["orders"] = orders_frame(orders)
    frames["forecast_submissions"] = submissions_frame(submissions, rep_ids)
    return {name: frames[name] for name in SAMPLE_TABLES}


def write_sample(
    folder: Path, end_date: str | pd.Timestamp, scale: float = 1.0, seed: int = 42, history_years: int = 3
) -> list[Path]:
    """Generate the sample company and write one Parquet file per table, ``<folder>/<table>.parquet``.

    The bytes are deterministic for the same arguments (and the same pyarrow version). Returns the paths
    written, in ``SAMPLE_TABLES`` order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in generate_sample(end_date, scale=scale, seed=seed, history_years=history_years).items():
        path = folder / f"{name}.parquet"
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, path, compression="snappy")
        paths.append(path)
    return paths
