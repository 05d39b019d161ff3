"""Which analyses the data supports: every analysis of the workbook, what it shows and what it needs.

A page section whose needs are not met says so in one sentence (what it would show, what to add), the
quarter's index lists what was skipped and why, and ``salesops check`` prints the same table before a run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Analysis:
    """``needs``: (table, columns) pairs; a column counts when present with at least one value, and a
    derived table (built from the opportunities) or a column derived on every row (``derive.derived_columns``:
    roles from who owns deals) does not count as provided. Every reps table has roles (derived when the export
    has none: owners are account executives), so only the supporting roles, which derived roles never give,
    need them provided."""

    name: str
    step: str
    shows: str
    needs: tuple[tuple[str, tuple[str, ...]], ...]


ANALYSES: tuple[Analysis, ...] = (
    Analysis("Data-quality audit", "01_collect", "completeness, duplicates, stale deals and the fixes to ask for",
             (("opportunities", ()),)),
    Analysis("Bookings and pipeline KPIs", "01_collect",
             "bookings, growth, win rate, deal size, cycle, funnel, velocity and coverage",
             (("opportunities", ("created_date", "close_date", "stage", "amount")),)),
    Analysis("Segments", "01_collect", "win rate, deal size and cycle by SMB / mid-market / enterprise",
             (("accounts", ("employees",)),)),
    Analysis("Activity KPIs", "01_collect", "emails, calls, meetings, demos, proposals and selling time per rep",
             (("activities", ("rep_id", "timestamp", "type")),)),
    Analysis("Ideal customer profile", "01_collect", "the segments whose leads are worth the most",
             (("leads", ("created_date",)), ("accounts", ("industry", "employees")))),
    Analysis("Lead scoring", "01_collect", "a score and grade for every open lead, and how accurate they are",
             (("leads", ("created_date", "converted")),)),
    Analysis("Top vs bottom performers", "01_collect", "what top reps do differently, and the coaching it suggests",
             (("reps", ("hire_date",)), ("activities", ("rep_id", "type")))),
    Analysis("Quota attainment history", "01_collect",
             "each rep's won bookings against the quotas they carried, quarter by quarter",
             (("quotas", ("rep_id", "start_date", "amount")),)),
    Analysis("Forecast accuracy", "01_collect", "how far reps' forecasts were from what they closed",
             (("forecast_submissions", ("rep_id", "period", "amount")),)),
    Analysis("Pipeline history", "01_collect",
             "the open pipeline at the start of each past quarter and what of it was won in the quarter",
             (("opportunity_history", ("opportunity_id", "changed_at", "stage")),)),
    Analysis("Ramp and attrition", "03_supply", "capacity that counts each rep's ramp by tenure, and the attrition seen",
             (("reps", ("hire_date",)),)),
    Analysis("Supporting roles", "03_supply", "SDRs, sales engineers, customer success and support staff needed",
             (("reps", ("role",)),)),
    Analysis("Hardware inventory", "03_supply", "safety stock, reorder point, units to order and stock-out risk",
             (("orders", ("order_date", "product", "units")), ("products", ("kind",)))),
    Analysis("Territories", "04_align", "every account assigned to one rep, balanced by potential",
             (("accounts", ("employees", "region")),)),
    Analysis("Lead routing", "04_align", "open leads routed to reps by rules, and the conversions to expect",
             (("leads", ("created_date", "converted", "owner_rep_id")),)),
    Analysis("Compensation", "04_align", "payouts simulated from past attainment, and commission statements",
             (("reps", ("quota", "ote")),)),
)


def _has_values(frame: pd.DataFrame, column: str) -> bool:
    return column in frame.columns and bool(frame[column].notna().any())


def availability(tables: dict[str, pd.DataFrame], derived: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """One row per analysis: ``analysis``, ``step``, ``shows``, ``available`` (bool) and ``missing``
    (what to add, empty when available). ``derived``: names of derived tables and ``"table.column"`` of
    derived columns, neither of which counts as provided."""
    rows = []
    for analysis in ANALYSES:
        missing = []
        for table, columns in analysis.needs:
            if table not in tables or table in derived:
                missing.append(f"the {table} table")
                continue
            absent = [c for c in columns if not _has_values(tables[table], c) or f"{table}.{c}" in derived]
            if absent:
                missing.append(f"{', '.join(absent)} in {table}")
        rows.append((analysis.name, analysis.step, analysis.shows, not missing, " and ".join(missing)))
    return pd.DataFrame(rows, columns=["analysis", "step", "shows", "available", "missing"])


def skipped_sentences(available: pd.DataFrame) -> list[str]:
    """For each analysis that cannot run: what it would show and what to add, in one sentence."""
    return [f"{row.analysis} would show {row.shows}; add {row.missing}."
            for row in available.itertuples() if not row.available]


def missing_sentence(available: pd.DataFrame, name: str) -> str:
    """The one sentence a page shows instead of analysis ``name`` ("" when it can run)."""
    row = available.set_index("analysis").loc[name]
    return "" if row["available"] else f"This section would show {row['shows']}. Add {row['missing']} to see it."


def has_product_kind(products: pd.DataFrame | None) -> bool:
    """Whether ``products`` gives at least one product a kind (subscription, service or hardware)."""
    return products is not None and _has_values(products, "kind")


def no_product_kind(what: str) -> str:
    """The one sentence an analysis that needs the products' kind shows when they carry none: ``what`` it cannot
    do without, and the mapping that switches it on."""
    return (f"The products carry no kind (subscription, service or hardware), so {what}: map the export's "
            "product-type column onto kind under data.columns.products (its values under "
            "data.values.products.kind) to switch this on.")


def first_findings(available: pd.DataFrame, sentences: dict[str, list[str]]) -> list[str]:
    """The first sentence of each analysis that could run (``sentences``: analysis name → its sentences)."""
    return [texts[0] for name, texts in sentences.items() if texts and not missing_sentence(available, name)]
