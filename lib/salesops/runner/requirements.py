"""What the data must hold for a quarter to be planned at all, checked in one place.

``salesops check`` and ``salesops run`` (before any notebook starts) ask the same question here, so a
check that says "the data can run" means the run will not stop on data grounds, and a run that cannot
work stops in seconds with the message ``check`` gives. Thin data that a step can still work with (one
deal, one rep, a short history) is not a requirement: the steps explain on their pages what they could
not show. These are the cases where there is nothing to plan from:

* no won deal closed in the history the forecast learns from (up to the last complete period before
  ``data_end``): bookings, win rates, deal sizes and the forecast all come from won deals;
* no target: ``collect.target`` unset and no bookings in any quarter wholly in the data, from which the target
  is derived (``collect.overview.quarter_target``).

The requirements on rows (the data contract, and with ``data.on_row_error: quarantine`` the share of rows
and of won bookings that may be set aside) are checked by ``validation.validate_tables``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from salesops import deals
from salesops.demand.overview import history_end
from salesops.errors import DataError
from salesops.plan_params import Params

#: Tables that no other table points to: they cannot change which opportunities are kept, so the check
#: before a run leaves them to step 1 (activities are by far the largest table).
_LEAF_TABLES = ("activities", "orders", "forecast_submissions", "opportunity_history", "quotas")


def unmet(tables: dict[str, pd.DataFrame], params: Params, sources: dict[str, str] | None = None) -> list[str]:
    """Why the validated ``tables`` cannot be planned from, one message each (file, what is missing, how
    to fix); empty when they can. ``sources`` names each table's file for the messages."""
    from salesops.collect.overview import quarter_target

    source = (sources or {}).get("opportunities", "the opportunities table")
    opportunities = tables["opportunities"]
    won = opportunities["is_won"].fillna(False).to_numpy(dtype=bool)
    history_to = history_end(params.data_end, params.forecast.freq)
    in_history = won & (opportunities["close_date"] <= history_to).fillna(False).to_numpy(dtype=bool)
    problems = []
    if not in_history.any():
        later = int(won.sum())
        problems.append(
            f"{source} holds no won deal closed by {history_to:%d %b %Y} (the end of the history the forecast "
            f"learns from; data up to {params.data_end:%d %b %Y})"
            + (f": its {later:,} won deal{'s close' if later > 1 else ' closes'} later" if later else
               ": no row has the stage closed_won")
            + ". Bookings, win rates, deal sizes and the forecast are all measured on won deals, so there is nothing "
              "to plan from. Fix: export the closed-won deals too (if they are there, map the CRM's won stage onto "
              "closed_won under data.values.opportunities.stage)"
            + ("; correct the close dates of won deals that lie in the future." if later else "."))
    if not params.collect.target:
        try:
            quarter_target(opportunities, params)
        except ValueError:
            first = deals.history_start(opportunities)
            problems.append(
                f"{source} holds no won bookings in a quarter wholly in the data (deals from {first:%d %b %Y} to "
                f"{params.data_end:%d %b %Y}), from which the {params.quarter} target is derived (the same quarter "
                f"a year before, else the mean of the last complete quarters, grown by collect.target_growth). Fix: "
                f"set collect.target in the params to the {params.quarter} bookings target (company currency), or "
                "add the won deals of earlier quarters to the export.")
    return problems


@dataclass(frozen=True)
class PlanningTables:
    """The validated input tables but those no other table points to (``_LEAF_TABLES``), keyed by table name, with
    the reps' segments derived as step 1 derives them; ``sources`` names each table's file or query, ``where`` the
    data folder or database."""

    tables: dict[str, pd.DataFrame]
    sources: dict[str, str]
    where: str


def planning_tables(params: Params, root: Path | None = None,
                    data_dir: Path | str | None = None) -> PlanningTables | None:
    """Read and validate every table of the data the params (or ``data_dir``) point at except those no other table
    points to (activities, orders, forecast submissions, stage history, quotas: leaving them out changes no other
    table's rows); None when a table cannot be read or the data breaks the contract (step 1 stops with the same
    message, on a page that shows it)."""
    from salesops import memory
    from salesops.contract.validation import validate_tables
    from salesops.data.inputs import CHUNK_ROWS, derive_segments, mapping_rules, read_inputs

    memory.release_freed_memory()  # the runner goes on for the whole run: what this check frees goes back
    try:
        # large files a slice at a time
        source, raw = read_inputs(params, root, data_dir, leave_out=_LEAF_TABLES, chunk_rows=CHUNK_ROWS)
        if raw.unreadable:
            return None
        result = validate_tables(raw.tables, raw.sources, mapping_rules(params, source.using_sample),
                                 on_row_error=params.data.on_row_error, max_reject_share=params.data.max_reject_share)
    except DataError:
        return None
    tables, _ = derive_segments(result.tables, result.adjustments, params)
    return PlanningTables(tables, raw.sources, str(source.database or source.folder))


def ensure_data_can_run(params: Params, root: Path | None = None, data_dir: Path | str | None = None) -> None:
    """Raise DataError, before any step runs, when the data the params (or ``data_dir``) point at cannot be
    planned from (:func:`unmet`, on the tables as step 1 would validate them, :func:`planning_tables`). Data that
    breaks the contract is left to step 1, which stops in seconds with the same message and a page showing it."""
    found = planning_tables(params, root, data_dir)
    if found is None:
        return  # step 1 stops with the same message, on a page that shows it
    problems = unmet(found.tables, params, found.sources)
    if problems:
        raise DataError(f"the data in {found.where} cannot be planned from:\n"
                        + "\n".join(f"  - {p}" for p in problems))

