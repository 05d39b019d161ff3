"""Step 1: the ideal customer profile (ICP) — which kinds of customer are worth the most per lead.

Leads and deals are cut into *segments* by a few dimensions (default industry × company size band ×
region). Per segment the funnel is measured — how many leads convert, how many of the deals are won, how
big a won deal is — and multiplied into the **expected value per lead**. The ICP is the few best segments
by that measure that together bring most of the expected value (``IcpSettings.icp_value_share``).

Conventions shared by every function in this module (the same as ``kpis.py``):

* Inputs are canonical, validated tables (see ``schema.py``); they are never modified. Outputs are new
  DataFrames with a fresh 0..n-1 index. Money is in the company currency; rates and shares are fractions
  (0.25 means 25 %).
* **The window** (``as_of``, ``IcpSettings.window_months``): the half-open interval
  ``(as_of - window_months calendar months, as_of]``; from a month's last day it covers whole months
  (2026-12-31 and 24 months: 2025-01-01 .. 2026-12-31). A lead counts when its ``created_date`` is in the
  window, a deal when it closed (won or lost) with ``close_date`` in the window.
* **Dimension values**. ``industry``, ``region``: the lead's own value, else its linked account's (by
  ``account_id``). ``size_band``: the band of the lead's ``employees``, else of the account's.
  ``country``: the lead's own ``country`` column if it has one, else the account's. ``source``: the lead's
  own (accounts have none). An **opportunity** takes each value from its lead (``lead_id``, resolved as
  above), else from its own account (``account_id``); a deal without a lead (self-sourced) has source
  ``Unknown``. Text is stripped of surrounding blanks; a value still missing is ``"Unknown"``. Such a
  segment is shown and counts in every total, but cannot be targeted, so it is never in the ICP.
* **Segment**: the dimension values in ``IcpSettings.dimensions`` order, joined with ``" · "`` (e.g.
  ``"Software · 200–1,999 · NA"``).
* Missing optional tables: without ``accounts`` the values come from the leads (and deals get only what
  their lead gives); without ``leads`` the opportunity-side figures are computed from the accounts and the
  lead-side ones are missing (so no segment is eligible and there is no ICP). ``opportunities`` is required.
* Bad arguments raise ``ValueError`` naming the argument and what is accepted.

Only pandas, numpy, pydantic and the light ``schema``/``checks`` modules are imported, so ``settings/loader.py`` can
embed ``IcpSettings`` without a cycle.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import AfterValidator, Field

from salesops.checks import as_timestamp
from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import UNKNOWN, check_columns, clean_text, closed_in_window, in_window, ratio
from salesops.formats import money_short
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, ListOf, Months, OneOf, PositiveShare, Whole

#: Dimensions a segment can be cut by.
DIMENSIONS: tuple[str, ...] = ("industry", "size_band", "region", "country", "source")

#: Joins the dimension values into the segment label.
SEPARATOR = " · "

#: ``note`` of a segment with fewer than ``min_leads`` leads in the window.
TOO_FEW_LEADS = "too few leads to judge"

#: ``note`` of a segment with an ``Unknown`` value: it cannot be targeted, so it is not eligible.
UNKNOWN_SEGMENT = "not a targetable segment (a value is Unknown)"

# table column each dimension is read from (size_band is derived from employees)
_RAW_COLUMN = {"industry": "industry", "size_band": "employees", "region": "region", "country": "country",
               "source": "source"}
_OPPORTUNITY_COLUMNS = ("created_date", "close_date", "amount", "is_closed", "is_won")


# --------------------------------------------------------------------------------------------------
# settings


def _check_thresholds(thresholds: Any, name: str = "size_bands") -> tuple[int, ...]:
    """``thresholds`` as a tuple of whole numbers >= 2, strictly increasing; else ValueError naming ``name``."""
    if isinstance(thresholds, (str, bytes)) or not isinstance(thresholds, Sequence | np.ndarray | pd.Series):
        raise ValueError(f"{name} must be a list of employee thresholds such as [200, 2000]; got {thresholds!r}")
    values = []
    for value in list(thresholds):
        whole = isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer())
        if isinstance(value, bool) or not whole:
            raise ValueError(f"{name} must hold whole numbers of employees such as [200, 2000]; got {thresholds!r}")
        values.append(int(value))
    if not values:
        raise ValueError(f"{name} needs at least one employee threshold, e.g. [200, 2000]; got an empty list")
    if values[0] < 2:
        raise ValueError(
            f"{name} must be at least 2 employees (the first band runs from 1 to the first threshold - 1); "
            f"got {thresholds!r}"
        )
    if any(later <= earlier for earlier, later in zip(values, values[1:])):
        raise ValueError(f"{name} must be strictly increasing, e.g. [200, 2000]; got {thresholds!r}")
    return tuple(values)


def _check_dimension(dimension: Any, prefix: str = "") -> str:
    if dimension not in DIMENSIONS:
        close = difflib.get_close_matches(str(dimension), DIMENSIONS, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{prefix}unknown dimension {dimension!r}{hint}; accepted: {', '.join(DIMENSIONS)}")
    return dimension


def _increasing(thresholds: tuple[int, ...]) -> tuple[int, ...]:
    if any(later <= earlier for earlier, later in zip(thresholds, thresholds[1:])):
        raise ValueError("expected strictly increasing thresholds, e.g. [200, 2000]")
    return thresholds


#: Employee thresholds starting each size band after the first: whole numbers of 2 or more, increasing.
SizeBands = Annotated[ListOf(Whole("employees", 2, example=200), "employee thresholds", [200, 2000], min_items=1),
                      AfterValidator(_increasing)]


class IcpSettings(Settings):
    """How prospects are segmented and the ideal customer profile chosen (the ``icp:`` block of the params).

    * ``dimensions`` (default ``[industry, size_band, region]``): what a segment is cut by, in label order;
      any of ``industry``, ``size_band``, ``region``, ``country``, ``source``, each at most once.
    * ``size_bands`` (default ``[200, 2000]``): employee thresholds of the size bands; each starts a band,
      so the default gives ``1–199``, ``200–1,999`` and ``2,000+``. Whole numbers, increasing, first >= 2.
    * ``window_months`` (default 24): leads created, and deals closed, in the last this many months count.
    * ``min_leads`` (default 30): a segment with fewer leads in the window is shown but marked
      "too few leads to judge" and cannot be in the ICP.
    * ``icp_value_share`` (default 0.5): the ICP is the smallest set of top-ranked eligible segments that
      together bring at least this share (a fraction) of the total expected value of all segments.
    """

    dimensions: ListOf(OneOf(DIMENSIONS), "dimensions", ["industry", "size_band"], min_items=1, unique=True,
                        one_alone=True) = Field(
        ("industry", "size_band", "region"),
        description="What a segment is cut by: any of industry, size_band, region, country, source.",
    )
    size_bands: SizeBands = Field(
        (200, 2000), description="Employee thresholds starting each band after the first: 1–199, 200–1,999, 2,000+."
    )
    window_months: Months(1, 120, example=24) = Field(
        24, description="Leads created / deals closed in this many months count.")
    min_leads: Count("leads", 1, example=30) = Field(
        30, description="Segments with fewer leads in the window are too few to judge.")
    icp_value_share: PositiveShare = Field(
        0.5, description="The ICP brings at least this share of the total expected value."
    )


# --------------------------------------------------------------------------------------------------
# argument checks and small helpers (windows and ratios: salesops.deals)


def _check_table(frame: Any, table: str, required: bool) -> None:
    if frame is None:
        if required:
            raise ValueError(f"{table}: this needs the {table} table, but it is missing (None)")
        return
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{table} must be a DataFrame (or None when the table is absent); got {type(frame).__name__}")


def _flag(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


# --------------------------------------------------------------------------------------------------
# 2. size bands


def band_labels(thresholds: Sequence[int] = (200, 2000)) -> list[str]:
    """Labels of the size bands of ``thresholds``, smallest first: ``[200, 2000]`` ->
    ``["1–199", "200–1,999", "2,000+"]`` (en dashes, thousands separators)."""
    thresholds = _check_thresholds(thresholds, "thresholds")
    lows = (1, *thresholds)
    labels = []
    for low, high in zip(lows, thresholds):
        labels.append(f"{low:,}" if low == high - 1 else f"{low:,}–{high - 1:,}")
    return [*labels, f"{thresholds[-1]:,}+"]


def size_band(employees, thresholds: Sequence[int] = (200, 2000)) -> pd.Series:
    """Company size band of each number of employees.

    A value below the first threshold falls in the first band, a value at or above threshold ``i`` (and
    below the next) in band ``i + 1``: with ``[200, 2000]`` 199 -> ``"1–199"``, 200 -> ``"200–1,999"``,
    2000 -> ``"2,000+"``. Missing, unparseable, or below 1 employee (0 is how CRMs store "not entered")
    -> ``"Unknown"``. Returns a text Series (``TEXT_DTYPE``) named ``size_band`` with the index of
    ``employees`` (an array-like gets 0..n-1).
    """
    thresholds = _check_thresholds(thresholds, "thresholds")
    labels = np.array([*band_labels(thresholds), UNKNOWN], dtype=object)
    series = employees if isinstance(employees, pd.Series) else pd.Series(employees)
    counts = pd.to_numeric(series.astype(object), errors="coerce").astype("float64").to_numpy()
    index = np.searchsorted(np.asarray(thresholds, dtype="float64"), counts, side="right")
    index = np.where(np.isnan(counts) | (counts < 1), len(labels) - 1, index)
    return pd.Series(pd.array(labels[index], dtype=TEXT_DTYPE), index=series.index, name="size_band")


# --------------------------------------------------------------------------------------------------
# 3. segments of leads and opportunities


def _lookup(keys: pd.Series, table: pd.DataFrame, key: str, column: str) -> pd.Series:
    """``table[column]`` of the first row whose ``key`` matches each of ``keys`` (missing where none), on
    the index of ``keys``."""
    rows = table.loc[~table[key].duplicated(keep="first") & table[key].notna(), [key, column]]
    mapping = pd.Series(rows[column].to_numpy(dtype=object), index=pd.Index(rows[key].astype(object)))
    return keys.astype(object).map(mapping)


def _account_values(account_ids: pd.Series | None, accounts: pd.DataFrame | None, column: str,
                    index: pd.Index) -> pd.Series:
    """``accounts[column]`` of each account id (missing where unknown), on ``index``."""
    if account_ids is None or accounts is None or column not in accounts.columns or "account_id" not in accounts:
        return pd.Series(np.nan, index=index, dtype=object)
    return _lookup(account_ids, accounts, "account_id", column).set_axis(index)


def _raw(frame: pd.DataFrame, column: str, accounts: pd.DataFrame | None,
         account_fallback: bool = True) -> pd.Series:
    """A dimension's raw value: the frame's own ``column``, else its account's (text stripped, employees
    as float; missing stays missing)."""
    own = frame[column] if column in frame.columns else pd.Series(np.nan, index=frame.index, dtype=object)
    account_ids = frame["account_id"] if "account_id" in frame.columns else None
    other = (_account_values(account_ids, accounts, column, frame.index) if account_fallback
             else pd.Series(np.nan, index=frame.index, dtype=object))
    if column == "employees":
        own = pd.to_numeric(own.astype(object), errors="coerce").astype("float64")
        other = pd.to_numeric(other.astype(object), errors="coerce").astype("float64")
        own = own.where(own >= 1)  # 0 employees: not entered
        return own.fillna(other.where(other >= 1))
    return clean_text(own).fillna(clean_text(other))


def _raw_dimensions(frame: pd.DataFrame, accounts: pd.DataFrame | None, dimensions: Sequence[str]) -> pd.DataFrame:
    """Raw values (before banding and ``Unknown``) of each dimension for the rows of ``frame``."""
    return pd.DataFrame(
        {dim: _raw(frame, _RAW_COLUMN[dim], accounts, account_fallback=dim != "source") for dim in dimensions},
        index=frame.index,
    )


def _labelled(raw: pd.DataFrame, settings: IcpSettings) -> pd.DataFrame:
    """Dimension columns (text, ``Unknown`` where missing, size banded) and the joined ``segment``."""
    out = {}
    for dim in settings.dimensions:
        if dim == "size_band":
            out[dim] = size_band(raw[dim], settings.size_bands)
        else:
            out[dim] = raw[dim].astype(TEXT_DTYPE).fillna(UNKNOWN)
    labels = pd.DataFrame(out, index=raw.index)
    segment = labels[settings.dimensions[0]]
    for dim in settings.dimensions[1:]:
        segment = segment + SEPARATOR + labels[dim]
    return labels.assign(segment=segment.astype(TEXT_DTYPE))


def segment_leads(leads: pd.DataFrame, accounts: pd.DataFrame | None = None,
                  settings: IcpSettings | None = None) -> pd.DataFrame:
    """Leads with their segment: every column of ``leads`` plus, for each of ``settings.dimensions``, the
    dimension column filled (an existing column of that name is replaced by its filled version) and
    ``segment``, the values joined with ``" · "``.

    Each value is the lead's own, else its account's (by ``account_id``; not for ``source``); what is
    still missing is ``"Unknown"``. ``size_band`` comes from ``employees`` (the lead's, else the
    account's) with ``settings.size_bands``; the ``employees`` column itself is left as it was.
    ``accounts`` may be None (the leads' own values only). Every lead is returned, whatever its date.
    """
    _check_table(leads, "leads", required=True)
    _check_table(accounts, "accounts", required=False)
    settings = settings_or_default(settings, IcpSettings)
    labels = _labelled(_raw_dimensions(leads, accounts, settings.dimensions), settings)
    return leads.assign(**{column: labels[column] for column in labels.columns}).reset_index(drop=True)


def _opportunity_raw(opportunities: pd.DataFrame, leads: pd.DataFrame | None, accounts: pd.DataFrame | None,
                     dimensions: Sequence[str]) -> pd.DataFrame:
    """Raw dimension values of each opportunity: its lead's, else its own account's."""
    own = _raw_dimensions(opportunities, accounts, dimensions)  # opportunities carry no dimension columns
    has_link = leads is not None and "lead_id" in opportunities.columns and "lead_id" in leads.columns
    if not has_link:
        return own
    lead_raw = _raw_dimensions(leads, accounts, dimensions)
    lead_raw.index = pd.Index(leads["lead_id"].astype(object))
    lead_raw = lead_raw.loc[~lead_raw.index.duplicated(keep="first") & lead_raw.index.notna()]
    from_lead = lead_raw.reindex(pd.Index(opportunities["lead_id"].astype(object))).set_axis(opportunities.index)
    return from_lead.astype(object).where(from_lead.notna(), own.astype(object))


def _segment_opportunities(opportunities: pd.DataFrame, leads: pd.DataFrame | None,
                           accounts: pd.DataFrame | None, settings: IcpSettings) -> pd.DataFrame:
    """Dimension columns and ``segment`` of each opportunity, on its index."""
    raw = _opportunity_raw(opportunities, leads, accounts, settings.dimensions)
    if "size_band" in raw.columns:
        raw["size_band"] = pd.to_numeric(raw["size_band"], errors="coerce").astype("float64")
    return _labelled(raw, settings)


# --------------------------------------------------------------------------------------------------
# 4. segment statistics


def _converted(leads: pd.DataFrame, as_of: pd.Timestamp, opportunities: pd.DataFrame) -> pd.Series:
    """Whether each lead had converted by ``as_of`` (nullable boolean; missing when it cannot be told)."""
    if "converted" in leads.columns:
        converted = leads["converted"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "converted_date" in leads.columns:  # converted after as_of: not yet, at as_of
            converted &= ~(leads["converted_date"] > as_of).to_numpy(dtype=bool, na_value=False)
        return pd.Series(converted, index=leads.index, dtype="boolean")
    if "converted_date" in leads.columns:
        return pd.Series((leads["converted_date"] <= as_of).to_numpy(dtype=bool, na_value=False),
                         index=leads.index, dtype="boolean")
    if "lead_id" in leads.columns and "lead_id" in opportunities.columns:
        sourced = opportunities.loc[(opportunities["created_date"] <= as_of).to_numpy(dtype=bool, na_value=False),
                                    "lead_id"].dropna().astype(object)
        return pd.Series(leads["lead_id"].astype(object).isin(set(sourced)).to_numpy(dtype=bool),
                         index=leads.index, dtype="boolean")
    return pd.Series(pd.NA, index=leads.index, dtype="boolean")


_STATS_COLUMNS = ("segment", "leads", "converted", "lead_to_opportunity", "won", "lost", "win_rate",
                  "average_deal_size", "median_cycle_days", "bookings", "revenue_share",
                  "expected_value_per_lead", "expected_value", "eligible", "rank", "in_icp", "note")


def segment_stats(leads: pd.DataFrame | None, opportunities: pd.DataFrame, accounts: pd.DataFrame | None,
                  as_of, settings: IcpSettings | None = None) -> pd.DataFrame:
    """Funnel and value per segment over the window, ranked, with the ICP marked.

    One row per segment with a lead created or a deal closed in the window. Columns:

    * the dimension columns of ``settings.dimensions`` and ``segment`` (text);
    * ``leads``: leads created in the window (count); ``converted``: of those, how many had converted to
      an opportunity by ``as_of`` (``converted`` true and ``converted_date`` not after ``as_of``; without a
      ``converted`` column ``converted_date`` on or before ``as_of``; without either, an opportunity
      created by ``as_of`` names the lead in ``lead_id``); ``lead_to_opportunity`` = converted / leads.
      Recent leads have had less time to convert, which lowers every segment alike.
    * ``won``, ``lost``: deals of the segment closed in the window (counts); ``win_rate`` = won / (won +
      lost), by count; ``average_deal_size``: mean ``amount`` of the won deals (company currency);
      ``median_cycle_days``: median close_date - created_date of the won deals (days); ``bookings``: won
      amount (company currency); ``revenue_share`` = bookings / bookings of all segments (fraction). A deal
      gets its segment from its lead, else from its account (see the module notes).
    * ``expected_value_per_lead`` = lead_to_opportunity × win_rate × average_deal_size (company currency
      per lead), computed as lead_to_opportunity × bookings / (won + lost) so that a segment whose closed
      deals were all lost gets 0; also 0 when no lead converted (even with no closed deal); NaN when it
      cannot be told (leads converted but no deal closed, or no leads).
    * ``expected_value`` = expected_value_per_lead × leads (company currency).
    * ``eligible``: leads >= ``settings.min_leads`` and no dimension value ``Unknown`` (a segment of
      unknown industry or size cannot be targeted; it still counts in every total). ``rank``: 1 = highest
      expected_value_per_lead among the eligible segments with a known value (ties by segment label),
      missing for the others.
    * ``in_icp``: the smallest set of top-ranked segments whose expected_value adds up to at least
      ``icp_value_share`` of the expected_value of all segments (ineligible ones included). Segments with
      no expected value are never in it; if even every ranked segment falls short, all ranked segments
      with a positive value form the ICP.
    * ``note``, the first that applies: ``"ICP"``; ``"no leads to judge"`` (no leads table, or which leads
      converted cannot be told); ``"too few leads to judge"``; ``UNKNOWN_SEGMENT``; ``"no closed deals to
      judge"``; else ``""``.

    Sorted by rank, then the unranked by expected_value_per_lead (highest first), then segment.
    ``leads`` None: lead columns are missing (NaN / <NA>), nothing is eligible and there is no ICP.
    ``accounts`` None: dimension values come from the leads only. ``opportunities`` is required.
    """
    settings = settings_or_default(settings, IcpSettings)
    _check_table(opportunities, "opportunities", required=True)
    _check_table(leads, "leads", required=False)
    _check_table(accounts, "accounts", required=False)
    check_columns(opportunities, _OPPORTUNITY_COLUMNS, "opportunities")
    if leads is not None:
        check_columns(leads, ("created_date",), "leads")
    as_of = as_timestamp(as_of, "as_of")
    keys = [*settings.dimensions, "segment"]

    # deal side
    closed_mask = closed_in_window(opportunities, as_of, settings.window_months)
    closed = opportunities.loc[closed_mask]
    won = _flag(closed, "is_won")
    deals = _segment_opportunities(closed, leads, accounts, settings).assign(
        _won=won,
        _lost=~won,
        _won_amount=closed["amount"].astype("float64").where(won),
        _won_cycle=(closed["close_date"] - closed["created_date"]).dt.days.astype("float64").where(won),
    )
    deal_table = deals.groupby(keys, sort=False).agg(
        won=("_won", "sum"), lost=("_lost", "sum"), average_deal_size=("_won_amount", "mean"),
        median_cycle_days=("_won_cycle", "median"), bookings=("_won_amount", "sum"),
    ).reset_index()

    # lead side
    if leads is not None:
        recent = leads.loc[in_window(leads["created_date"], as_of, settings.window_months)]
        converted = _converted(recent, as_of, opportunities)
        conversion_known = bool(converted.notna().all())
        labels = _labelled(_raw_dimensions(recent, accounts, settings.dimensions), settings)
        lead_table = labels.assign(_converted=converted.fillna(False).astype("int64")).groupby(keys, sort=False).agg(
            leads=("segment", "size"), converted=("_converted", "sum")).reset_index()
    else:
        conversion_known = False
        lead_table = pd.DataFrame({key: pd.Series(dtype=TEXT_DTYPE) for key in keys})
        lead_table = lead_table.assign(leads=pd.Series(dtype="float64"), converted=pd.Series(dtype="float64"))

    table = lead_table.merge(deal_table, on=keys, how="outer")
    for key in keys:
        table[key] = table[key].astype(TEXT_DTYPE)
    counts = {"won": True, "lost": True, "leads": leads is not None, "converted": conversion_known}
    for column, known in counts.items():  # a segment absent from one side has 0 there
        values = table[column].astype("float64").fillna(0.0) if known else np.nan
        table[column] = pd.array(pd.Series(values, index=table.index, dtype="float64"), dtype="Int64")
    table["bookings"] = table["bookings"].astype("float64").fillna(0.0)

    closed_count = table["won"] + table["lost"]
    conversion = ratio(table["converted"], table["leads"])
    # lead_to_opportunity x win_rate x average_deal_size, written so that no win gives 0, not NaN
    per_lead = (conversion * ratio(table["bookings"], closed_count)).mask(conversion == 0, 0.0)
    total_bookings = float(table["bookings"].sum())
    enough = (table["leads"] >= settings.min_leads).fillna(False).to_numpy(dtype=bool)
    known = ~(table[list(settings.dimensions)] == UNKNOWN).any(axis=1).to_numpy(dtype=bool)

    table = table.assign(
        lead_to_opportunity=conversion,
        win_rate=ratio(table["won"], closed_count),
        average_deal_size=table["average_deal_size"].astype("float64"),
        median_cycle_days=table["median_cycle_days"].astype("float64"),
        revenue_share=table["bookings"] / total_bookings if total_bookings else np.nan,
        expected_value_per_lead=per_lead,
        expected_value=per_lead * table["leads"].astype("float64"),
        eligible=pd.array(enough & known, dtype="boolean"),
    )
    return _rank_and_choose(table, settings)


def _rank_and_choose(table: pd.DataFrame, settings: IcpSettings) -> pd.DataFrame:
    """Adds ``rank``, ``in_icp`` and ``note``; sorts and orders the columns."""
    per_lead = table["expected_value_per_lead"]
    ranked = table["eligible"].to_numpy(dtype=bool) & per_lead.notna().to_numpy()
    best_first = np.lexsort((table["segment"].astype(object).to_numpy(), -per_lead.fillna(-np.inf).to_numpy()))
    ranked_rows = best_first[ranked[best_first]]  # positions of the ranked segments, best first
    rank = np.full(len(table), np.nan)
    rank[ranked_rows] = np.arange(1, len(ranked_rows) + 1)

    values = table["expected_value"].to_numpy(dtype="float64")
    total = float(np.nansum(values))
    in_icp = np.zeros(len(table), dtype=bool)
    if total > 0 and len(ranked_rows):
        ranked_values = values[ranked_rows]
        before = np.concatenate([[0.0], np.cumsum(ranked_values)[:-1]])  # value of the better-ranked ones
        target = settings.icp_value_share * total
        needed = before < target * (1 - 1e-12)  # the segment that reaches the share is the last one in
        in_icp[ranked_rows] = needed & (ranked_values > 0)

    unknown = (table[list(settings.dimensions)] == UNKNOWN).any(axis=1).to_numpy(dtype=bool)
    note = np.select(
        [in_icp, table["leads"].isna().to_numpy() | table["converted"].isna().to_numpy(),
         (table["leads"] < settings.min_leads).to_numpy(dtype=bool, na_value=False), unknown,
         table["expected_value_per_lead"].isna().to_numpy()],
        ["ICP", "no leads to judge", TOO_FEW_LEADS, UNKNOWN_SEGMENT, "no closed deals to judge"], "",
    )
    table = table.assign(rank=pd.array(rank, dtype="Int64"), in_icp=pd.array(in_icp, dtype="boolean"),
                         note=pd.array(note, dtype=TEXT_DTYPE))
    order = np.lexsort((table["segment"].astype(object).to_numpy(), -per_lead.fillna(-np.inf).to_numpy(),
                        np.nan_to_num(rank, nan=np.inf)))
    return table.iloc[order][[*settings.dimensions, *_STATS_COLUMNS]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# 5. summary sentences


def _count(count: int, noun: str) -> str:
    """``1, "lead"`` -> ``1 lead``; ``30, "lead"`` -> ``30 leads``."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _percent(value: float) -> str:
    """``0.143`` -> ``14%``; below 1 % one decimal (``0.004`` -> ``0.4%``)."""
    if value is None or pd.isna(value):
        return "–"
    value = float(value) * 100
    return f"{value:.1f}%" if 0 < abs(value) < 1 else f"{value:.0f}%"


def icp_summary(stats: pd.DataFrame, settings: IcpSettings | None = None, currency: str = "USD",
                max_segments: int | None = None) -> list[str]:
    """What the ICP is, in plain sentences for the collect page (``stats`` from ``segment_stats``).

    First a sentence on the ICP as a whole (how many segments, their share of leads and of expected
    value), then one per ICP segment in rank order (the first ``max_segments``, all when None) with its
    evidence, e.g. ``"Software · 200–1,999 · NA:
    14% of leads convert, 31% of deals are won, $38k average deal — $1.6k expected per lead, 3.1× the
    average."`` The average is the expected value per lead over all leads of segments with a known value
    (total expected_value / their leads). Last, how many segments are too few to judge and what share of
    the leads sits in segments with an ``Unknown`` value. Without an ICP, one sentence saying why. Money
    in ``currency`` (compact: $1.6k, $38k, $2.4M); the sentences are plain text (segment labels come from
    the CRM: escape them when writing HTML).
    """
    settings = settings_or_default(settings, IcpSettings)
    check_columns(stats, ("segment", "leads", "lead_to_opportunity", "win_rate", "average_deal_size",
                           "expected_value_per_lead", "expected_value", "eligible", "in_icp"), "stats")
    window = "the last month" if settings.window_months == 1 else f"the last {settings.window_months} months"
    min_leads = _count(settings.min_leads, "lead")
    if stats.empty:
        return [f"No lead was created and no deal closed in {window}, so no ICP can be drawn."]
    if stats["leads"].isna().all():
        return ["There is no leads table: the ICP needs leads to measure how each segment converts, "
                "so none is drawn. Add the leads table to see it."]
    if stats["leads"].fillna(0).sum() == 0:
        return [f"No lead was created in {window}, so no ICP can be drawn."]
    if stats["converted"].isna().all():
        return ["The leads table does not tell which leads converted (no converted or converted_date column, "
                "and no opportunity names a lead_id), so no ICP can be drawn."]
    known = stats["expected_value"].notna().to_numpy()
    total_value = float(stats.loc[known, "expected_value"].sum())
    known_leads = float(stats.loc[known, "leads"].astype("float64").sum())
    average = total_value / known_leads if known_leads else math.nan
    icp = stats.loc[stats["in_icp"].fillna(False).to_numpy(dtype=bool)]
    if "rank" in icp.columns:
        icp = icp.sort_values("rank", kind="stable")
    too_few = int((stats["leads"] < settings.min_leads).fillna(False).to_numpy(dtype=bool).sum())
    dims = list(settings.dimensions)
    unknown = (stats[dims] == UNKNOWN).any(axis=1).to_numpy(dtype=bool) if set(dims) <= set(stats.columns) else []
    unknown_leads = float(stats.loc[unknown, "leads"].astype("float64").sum()) if len(unknown) else 0.0
    sentences = []
    if icp.empty:
        sentences.append(
            f"No ideal customer profile can be drawn from {window}: no segment with at least "
            f"{min_leads} has a positive expected value per lead."
        )
    else:
        lead_share = float(icp["leads"].astype("float64").sum()) / float(stats["leads"].astype("float64").sum())
        value_share = float(icp["expected_value"].sum()) / total_value if total_value else math.nan
        cut = " × ".join(d.replace("_", " ") for d in dims)
        sentences.append(
            f"The ideal customer profile is {len(icp)} of {len(stats)} segments ({cut}): together they bring "
            f"{_percent(value_share)} of the expected value from {_percent(lead_share)} of the leads created "
            f"in {window}."
        )
        for _, row in icp.head(max_segments).iterrows():
            times = row["expected_value_per_lead"] / average if average else math.nan
            versus = f", {times:.1f}× the average" if not pd.isna(times) else ""
            sentences.append(
                f"{row['segment']}: {_percent(row['lead_to_opportunity'])} of leads convert, "
                f"{_percent(row['win_rate'])} of deals are won, {money_short(row['average_deal_size'], currency)} "
                f"average deal — {money_short(row['expected_value_per_lead'], currency)} expected per lead{versus}."
            )
    if max_segments is not None and len(icp) > max_segments:
        rest = len(icp) - max_segments
        sentences.append(f"… and {rest} more ICP segment{'s' if rest > 1 else ''}: see the table below.")
    if too_few:
        plural = "segment has" if too_few == 1 else "segments have"
        sentences.append(
            f"{too_few} {plural} fewer than {min_leads} in {window}: "
            f"{TOO_FEW_LEADS}, so they are left out of the ICP."
        )
    if unknown_leads:
        share = unknown_leads / float(stats["leads"].astype("float64").sum())
        sentences.append(
            f"{_percent(share)} of the leads are in segments with an {UNKNOWN} value, which cannot be targeted "
            "and are left out of the ICP: filling in the missing values would sharpen it."
        )
    return sentences


# --------------------------------------------------------------------------------------------------
# 6. reps by segment


def rep_segment_wins(opportunities: pd.DataFrame, leads: pd.DataFrame | None, accounts: pd.DataFrame | None,
                     reps: pd.DataFrame | None, as_of, settings: IcpSettings | None = None, min_closed: int = 5,
                     dimension: str | None = "industry") -> pd.DataFrame:
    """Each rep's win rate per kind of customer, against the team's: input for assigning reps to the
    customers they win most.

    ``dimension``: one of ``DIMENSIONS`` (default ``"industry"``: with the full segment most cells are
    too small to judge a rep), or None for the full segment of ``settings.dimensions``. Deals count when
    closed (won or lost) in the window of ``settings``; a deal's dimension values come from its lead, else
    its account (module notes).

    Columns: ``rep_id``, ``name`` (from ``reps``; the rep_id when ``reps`` is None or lacks the rep), the
    dimension column(s), ``segment`` (the label; with one dimension, its value), ``closed`` and ``won``
    (the rep's deals, counts), ``win_rate`` = won / closed, ``team_closed`` (all deals of the segment),
    ``team_win_rate`` (the whole team's win rate in that segment, the rep's own deals included) and
    ``vs_team_pp`` = (win_rate - team_win_rate) × 100, in percentage points (+12.5 means 12.5 points above
    the team). Only rep × segment cells with at least ``min_closed`` closed deals. Sorted by segment, then
    vs_team_pp (highest first), then rep_id.
    """
    settings = settings_or_default(settings, IcpSettings)
    _check_table(opportunities, "opportunities", required=True)
    for table, frame in (("leads", leads), ("accounts", accounts), ("reps", reps)):
        _check_table(frame, table, required=False)
    check_columns(opportunities, (*_OPPORTUNITY_COLUMNS, "rep_id"), "opportunities")
    if isinstance(min_closed, bool) or not isinstance(min_closed, numbers.Integral) or min_closed < 1:
        raise ValueError(f"min_closed must be a whole number of deals, at least 1; got {min_closed!r}")
    if dimension is not None:
        _check_dimension(dimension, "dimension: ")
        settings = settings.model_copy(update={"dimensions": (dimension,)})
    as_of = as_timestamp(as_of, "as_of")
    dims = list(settings.dimensions)
    keys = [*dims, "segment"]

    closed = opportunities.loc[closed_in_window(opportunities, as_of, settings.window_months)]
    deals = _segment_opportunities(closed, leads, accounts, settings).assign(
        rep_id=closed["rep_id"].astype(TEXT_DTYPE), _won=_flag(closed, "is_won").astype("int64"))
    per_rep = deals.groupby(["rep_id", *keys], sort=False).agg(closed=("_won", "size"), won=("_won", "sum"))
    team = deals.groupby(keys, sort=False).agg(team_closed=("_won", "size"), team_won=("_won", "sum"))
    out = per_rep.reset_index().merge(team.reset_index(), on=keys, how="left")
    out = out.loc[out["closed"] >= min_closed]

    rep_ids = pd.Series(pd.array(out["rep_id"].to_numpy(dtype=object), dtype=TEXT_DTYPE), index=out.index)
    if reps is not None and {"rep_id", "name"} <= set(reps.columns):
        name = _lookup(rep_ids, reps, "rep_id", "name").astype(TEXT_DTYPE).fillna(rep_ids)
    else:
        name = rep_ids
    win_rate = ratio(out["won"], out["closed"])
    team_rate = ratio(out["team_won"], out["team_closed"])
    out = pd.DataFrame({
        "rep_id": pd.array(rep_ids.to_numpy(dtype=object), dtype=TEXT_DTYPE),
        "name": pd.array(name.to_numpy(dtype=object), dtype=TEXT_DTYPE),
        **{key: pd.array(out[key].to_numpy(), dtype=TEXT_DTYPE) for key in keys},
        "closed": pd.array(out["closed"].to_numpy(), dtype="Int64"),
        "won": pd.array(out["won"].to_numpy(), dtype="Int64"),
        "win_rate": win_rate.to_numpy(),
        "team_closed": pd.array(out["team_closed"].to_numpy(), dtype="Int64"),
        "team_win_rate": team_rate.to_numpy(),
        "vs_team_pp": ((win_rate - team_rate) * 100).to_numpy(),
    })
    return out.sort_values(["segment", "vs_team_pp", "rep_id"], ascending=[True, False, True],
                           kind="stable").reset_index(drop=True)


def top_segments(stats: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The ``n`` best-ranked segments of ``segment_stats``, with a ``label`` for charts: the segment,
    marked ``(ICP)`` when it is in the ideal customer profile. Empty when nothing could be ranked."""
    ranked = stats[stats["rank"].notna()].sort_values("rank", kind="stable").head(n)
    marks = np.where(ranked["in_icp"].fillna(False).to_numpy(dtype=bool), "  (ICP)", "")
    return ranked.assign(label=pd.array(ranked["segment"].astype(str) + marks, dtype=TEXT_DTYPE)).reset_index(drop=True)
