"""Hardware units the demand will need per product and region: the trailing monthly run rate grown by the
last year's growth (the input of step 3's inventory)."""

from __future__ import annotations

import pandas as pd

from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import UNKNOWN, in_window, window_start
from salesops.demand.plan.common import check_frame, check_period, months_between, segment_values
from salesops.demand.plan.settings import DemandSettings, resolve_settings


HARDWARE_COLUMNS: tuple[str, ...] = (
    "product", "region", "ds", "units", "trailing_monthly_units", "annual_growth",
)


def hardware_units(
    orders: pd.DataFrame,
    products: pd.DataFrame | None,
    as_of,
    period_start,
    period_end,
    settings: DemandSettings | None = None,
) -> pd.DataFrame:
    """Hardware units to plan per product × region × month of the planned period (the step-3 artifact).

    ``trailing_monthly_units``: units ordered in the history window / history_months, per product and region.
    ``annual_growth``: per product (all regions), units of the 12 months to ``as_of`` / units of the 12 months
    before − 1 (0 when the earlier year has no orders: nothing to measure growth from).
    ``units`` = trailing_monthly_units × (1 + annual_growth) ** (years from the middle of the history window to
    the middle of the month) × the share of the month's days inside the period. No seasonality: the statistical
    forecast may replace this run rate.

    Products: those of kind ``hardware`` in ``products`` (every product ordered when ``products`` is None). A
    missing region is ``Unknown``. One row per product × region ordered in the window × month, sorted.
    """
    settings = resolve_settings(settings)
    as_of, start, end = check_period(as_of, period_start, period_end)
    check_frame(orders, "orders", ("order_date", "product", "units"))
    units = orders["units"].astype("float64")
    if units.isna().any() or (units < 0).any():
        raise ValueError("orders.units must be unit counts of 0 or more with no missing value")
    product = orders["product"].astype(object)
    keep = product.notna().to_numpy(dtype=bool)
    if products is not None:
        check_frame(products, "products", ("product", "kind"))
        hardware = set(products.loc[products["kind"].astype(object).eq("hardware").fillna(False).to_numpy(dtype=bool),
                                    "product"].astype(object))
        keep &= product.isin(hardware).to_numpy(dtype=bool)
    region = (segment_values(orders, "region") if "region" in orders.columns
              else pd.Series(UNKNOWN, index=orders.index))
    frame = pd.DataFrame({"product": product.to_numpy(), "region": region.to_numpy(), "units": units.to_numpy(),
                          "date": orders["order_date"].to_numpy()}).loc[keep]
    months = months_between(start, end)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in HARDWARE_COLUMNS}).astype(
            {"product": TEXT_DTYPE, "region": TEXT_DTYPE, "ds": "datetime64[ns]"})

    in_history = in_window(frame["date"], as_of, settings.history_months)
    trailing = frame.loc[in_history].groupby(["product", "region"])["units"].sum() / settings.history_months
    last_year = frame.loc[in_window(frame["date"], as_of, 12)].groupby("product")["units"].sum()
    year_before_end = window_start(as_of, 12)
    year_before = frame.loc[in_window(frame["date"], year_before_end, 12)].groupby("product")["units"].sum()
    growth = (last_year / year_before.where(year_before > 0) - 1).reindex(trailing.index.get_level_values(0).unique())
    growth = growth.fillna(0.0)

    history_start = window_start(as_of, settings.history_months)
    middle = history_start + pd.Timedelta(days=1) + (as_of - history_start) / 2  # days as [day, day + 1)
    rows = []
    for ds in months:
        month_end = ds + pd.offsets.MonthEnd(0)
        fraction = ((min(month_end, end) - max(ds, start)).days + 1) / ds.days_in_month
        ahead = ((ds + (month_end - ds + pd.Timedelta(days=1)) / 2) - middle).total_seconds() / 86400 / 365.25
        for (name, area), monthly in trailing.items():
            g = float(growth.get(name, 0.0))
            rows.append((name, area, ds, monthly * (1 + g) ** ahead * fraction, monthly, g))
    out = pd.DataFrame(rows, columns=list(HARDWARE_COLUMNS))
    out = out.sort_values(["product", "region", "ds"], kind="stable").reset_index(drop=True)
    out["product"] = out["product"].astype(TEXT_DTYPE)
    out["region"] = out["region"].astype(TEXT_DTYPE)
    out["ds"] = out["ds"].astype("datetime64[ns]")
    return out
