"""Demand turned into what it takes: deals, opportunities, leads, customers, tickets and delivery hours per
segment and month (the inputs of step 3's capacity and supporting roles)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import closed_in_window, in_window, won_mask
from salesops.demand.plan.common import TOTAL, check_frame, check_opportunities_frame, segment_order, segment_values
from salesops.demand.plan.leads import lead_conversion, lead_sourced, measures_conversion
from salesops.demand.plan.settings import DemandSettings, resolve_settings


DRIVER_COLUMNS: tuple[str, ...] = (
    "segment", "ds", "bookings", "average_deal_size", "deals", "win_rate", "opportunities", "median_cycle_days",
    "lead_sourced_share", "lead_conversion", "qualified_leads", "new_customers", "support_tickets",
    "delivery_hours_per_deal", "delivery_hours", "hours_unknown_share",
)


def _group_measure(values: np.ndarray, by_group: dict[str, tuple[float, int]], total: float,
                   minimum: int) -> np.ndarray:
    """Per row, the group's measured value when measured on at least ``minimum`` cases, else ``total``."""
    out = np.full(len(values), total, dtype=float)
    for index, group in enumerate(values):
        measured = by_group.get(group)
        if measured is not None and measured[1] >= minimum and not math.isnan(measured[0]):
            out[index] = measured[0]
    return out


def _id_parts(unique_id: str) -> dict[str, str]:
    """``"region=EMEA/segment=MM"`` -> {"region": "EMEA", "segment": "MM"}; ``"total"`` -> {}."""
    if unique_id == TOTAL:
        return {}
    parts = dict(part.split("=", 1) for part in unique_id.split("/") if "=" in part)
    return parts if parts else {"": unique_id}


def _segment_demand(demand: pd.DataFrame, value_column: str | None) -> pd.DataFrame:
    """``segment, ds, bookings`` from either that shape or a ``forecast.py`` frame (``unique_id, ds, base``)."""
    if not isinstance(demand, pd.DataFrame):
        raise ValueError(f"demand_by_segment_month must be a pandas DataFrame; got {type(demand).__name__}")
    column = value_column or ("bookings" if "bookings" in demand.columns else "base")
    by_id = "unique_id" in demand.columns
    if by_id:
        check_frame(demand, "demand_by_segment_month", ("unique_id", "ds", column))
        parts = [_id_parts(str(i)) for i in demand["unique_id"].astype(object)]
        levels = sorted({frozenset(p) for p in parts if "segment" in p}, key=lambda level: (len(level), sorted(level)))
        if levels:  # the least detailed level that splits by segment, summed over its other columns
            keep = np.array([frozenset(p) == levels[0] for p in parts], dtype=bool)
            segment = pd.Series([p["segment"] for p, k in zip(parts, keep) if k], dtype=object)
        else:
            keep = np.array([not p for p in parts], dtype=bool)  # only the total: one segment "All"
            if not keep.any():
                raise ValueError("demand_by_segment_month has no series by segment (unique_id 'segment=<s>', also "
                                 "nested as 'region=<r>/segment=<s>') and no 'total' series")
            segment = pd.Series("All", index=range(int(keep.sum())), dtype=object)
        demand = demand.loc[keep]
    else:
        check_frame(demand, "demand_by_segment_month", ("segment", "ds", column))
        segment = segment_values(demand, "segment")
        is_total = segment.eq(TOTAL)
        if is_total.any() and not is_total.all():  # segment rows and their total: keep the segments
            demand, segment = demand.loc[~is_total.to_numpy(dtype=bool)], segment[~is_total]
        segment = segment.where(segment != TOTAL, "All")
    bookings = demand[column].astype("float64")
    if bookings.isna().any() or (bookings < 0).any():
        raise ValueError(f"demand_by_segment_month.{column} must be bookings of 0 or more with no missing value")
    out = pd.DataFrame({
        "segment": segment.to_numpy(dtype=object),
        "ds": pd.to_datetime(demand["ds"]).dt.to_period("M").dt.start_time.to_numpy(dtype="datetime64[ns]"),
        "bookings": bookings.to_numpy(),
    })
    if not by_id and out.duplicated(["segment", "ds"]).any():
        raise ValueError("demand_by_segment_month has more than one row for some segment and month")
    return out.groupby(["segment", "ds"], sort=False, as_index=False)["bookings"].sum()


def demand_drivers(
    demand_by_segment_month: pd.DataFrame,
    opportunities: pd.DataFrame,
    leads: pd.DataFrame | None,
    products: pd.DataFrame | None,
    as_of,
    settings: DemandSettings | None = None,
    *,
    segment_column: str | None = "segment",
    value_column: str | None = None,
) -> pd.DataFrame:
    """What the bookings demand needs, per segment and month, at the rates measured over the history window.

    ``demand_by_segment_month``: ``segment, ds, bookings`` (a ``total`` segment next to others is dropped), or a
    frame with ``unique_id, ds, base`` such as ``forecast.py``'s scenarios: the least detailed series split by
    segment are used (``segment=<s>``, or ``region=<r>/segment=<s>`` summed over the regions); with only a
    ``total`` series, one segment ``All``. ``value_column`` picks another column (e.g. ``upside``).

    Rates per segment of ``segment_column`` of ``opportunities``; the all-segment value where the segment was
    measured on fewer than ``min_rate_deals`` deals (or there is no such column). Columns:

    * ``bookings`` (input, company currency); ``average_deal_size`` (mean won amount, company currency);
      ``deals`` = bookings / average_deal_size (count of deals to win).
    * ``win_rate`` (won / closed, count); ``opportunities`` = deals / win_rate (opportunities to work; for the
      deals of month m they must be created about ``median_cycle_days`` (of won deals) earlier).
    * ``lead_sourced_share``: share of the opportunities created in the window that came from a lead (1 without
      ``lead_id``); ``lead_conversion``: lead-to-opportunity conversion (module docstring; by segment when
      ``leads`` has ``segment_column``); ``qualified_leads`` = opportunities × lead_sourced_share /
      lead_conversion (leads needed; NaN without ``leads`` or when they do not say which converted: no
      ``converted`` nor ``converted_date`` column).
    * ``new_customers`` = deals × customers_per_deal; ``support_tickets`` = new customers won from the first month
      of the frame up to and including this month × support_tickets_per_customer_month (the tickets the new
      demand adds; the installed base's tickets are step 3's current load).
    * ``delivery_hours_per_deal`` = sum over products of the segment's product mix (share of won deals, count) ×
      ``delivery_hours_per_deal`` of the product (hardware products of ``products`` need 0); ``delivery_hours``
      = deals × that; ``hours_unknown_share``: share of the mix whose product has no hours set (counted as 0).

    Sorted by segment (SMB, MM, ENT first), then month.
    """
    settings = resolve_settings(settings)
    check_opportunities_frame(opportunities)
    as_of = as_timestamp(as_of, "as_of")
    demand = _segment_demand(demand_by_segment_month, value_column)
    months = settings.history_months
    minimum = settings.min_rate_deals

    segment = segment_values(opportunities, segment_column)
    frame = opportunities.assign(_segment=segment if segment is not None else "All")
    closed = frame.loc[closed_in_window(frame, as_of, months)]
    won = won_mask(closed)
    wins = closed.loc[won]

    def measure(values: pd.Series, counts: pd.Series, total_value: float) -> np.ndarray:
        by_group = {str(k): (float(values[k]), int(counts.get(k, 0))) for k in values.index}
        return _group_measure(demand["segment"].to_numpy(dtype=object), by_group, total_value, minimum)

    closed_count = closed.groupby("_segment").size()
    win_rate = measure(pd.Series(won, index=closed["_segment"].to_numpy()).groupby(level=0).mean(), closed_count,
                       float(won.mean()) if len(closed) else math.nan)
    won_count = wins.groupby("_segment").size()
    deal_size = measure(wins.groupby("_segment")["amount"].mean(), won_count,
                        float(wins["amount"].mean()) if len(wins) else math.nan)
    cycle = (wins["close_date"] - wins["created_date"]).dt.days.astype("float64")
    cycle_days = measure(cycle.groupby(wins["_segment"].to_numpy()).median(), won_count,
                         float(cycle.median()) if len(wins) else math.nan)

    created = frame.loc[in_window(frame["created_date"], as_of, months)]
    if "lead_id" in opportunities.columns:
        from_lead = pd.Series(lead_sourced(created), index=created["_segment"].to_numpy())
        lead_share = measure(from_lead.groupby(level=0).mean(), created.groupby("_segment").size(),
                             float(from_lead.mean()) if len(created) else math.nan)
    else:
        lead_share = np.ones(len(demand))
    if measures_conversion(leads):
        rate, _, by_segment = lead_conversion(leads, as_of, settings, segment_column)
        conversion = _group_measure(demand["segment"].to_numpy(dtype=object), by_segment, rate, minimum)
    else:
        conversion = np.full(len(demand), np.nan)

    hours_per_deal, unknown_share = _delivery_hours(wins, products, settings, demand["segment"])

    deals = demand["bookings"].to_numpy() / np.where(deal_size > 0, deal_size, np.nan)
    opportunities_needed = deals / np.where(win_rate > 0, win_rate, np.nan)
    new_customers = deals * settings.customers_per_deal
    out = demand.assign(
        average_deal_size=deal_size,
        deals=deals,
        win_rate=win_rate,
        opportunities=opportunities_needed,
        median_cycle_days=cycle_days,
        lead_sourced_share=lead_share,
        lead_conversion=conversion,
        qualified_leads=opportunities_needed * lead_share / np.where(conversion > 0, conversion, np.nan),
        new_customers=new_customers,
        delivery_hours_per_deal=hours_per_deal,
        delivery_hours=deals * hours_per_deal,
        hours_unknown_share=unknown_share,
    )
    order = {name: index for index, name in enumerate(segment_order(out["segment"]))}
    out = out.assign(_order=out["segment"].map(order)).sort_values(["_order", "ds"], kind="stable")
    out["support_tickets"] = (out.groupby("segment")["new_customers"].cumsum()
                              * settings.support_tickets_per_customer_month)
    out["segment"] = out["segment"].astype(TEXT_DTYPE)
    return out[list(DRIVER_COLUMNS)].reset_index(drop=True)


def _delivery_hours(wins: pd.DataFrame, products: pd.DataFrame | None, settings: DemandSettings,
                    segments: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(hours per deal, share of the mix with unknown hours) per row of ``segments``, from the product mix of the
    won deals (per segment when it won at least ``min_rate_deals`` deals)."""
    if "product" not in wins.columns:
        return np.full(len(segments), np.nan), np.full(len(segments), np.nan)
    hours = dict(settings.delivery_hours_per_deal)
    if products is not None:
        check_frame(products, "products", ("product",))
        if "kind" in products.columns:
            hardware = products.loc[products["kind"].astype(object).eq("hardware").fillna(False).to_numpy(dtype=bool)]
            for name in hardware["product"].astype(object):
                hours.setdefault(str(name), 0.0)
    product = wins["product"].astype(object)
    product = product.where(product.notna(), "")
    per_deal = product.map(hours)
    known = per_deal.notna().to_numpy(dtype=float)
    values = per_deal.fillna(0.0).to_numpy(dtype=float)
    group = wins["_segment"].to_numpy(dtype=object)
    table = pd.DataFrame({"group": group, "hours": values, "unknown": 1.0 - known})
    by = table.groupby("group").agg(hours=("hours", "mean"), unknown=("unknown", "mean"), n=("hours", "size"))
    total_hours = float(values.mean()) if len(values) else math.nan
    total_unknown = float((1.0 - known).mean()) if len(values) else math.nan
    rows = segments.to_numpy(dtype=object)
    hours_out = _group_measure(rows, {str(k): (r.hours, int(r.n)) for k, r in by.iterrows()}, total_hours,
                               settings.min_rate_deals)
    unknown_out = _group_measure(rows, {str(k): (r.unknown, int(r.n)) for k, r in by.iterrows()}, total_unknown,
                                 settings.min_rate_deals)
    return hours_out, unknown_out
