"""Amounts entered in several currencies, converted to the company currency with a rates table.

A CRM that keeps deals in several currencies exports each deal's currency next to its amount (Salesforce
``CurrencyIsoCode``, HubSpot ``Currency``) and keeps the exchange rates in a table of its own (Salesforce
``CurrencyType`` and, with dated rates, ``DatedConversionRate``). Mapped onto ``opportunities.currency`` and the
``currency_rates`` table, amounts are converted on load:

* **Rates** are units of a currency per one unit of a *base* currency, as Salesforce keeps them (EUR 0.92 per
  one USD). The base need not be the company currency: when the rates table also lists the company currency,
  every rate is divided by the company currency's rate on the same day, so a table kept against USD serves a
  company that plans in EUR. A currency absent from the table has no rate (a row problem); the company
  currency needs no row when the table's base is the company currency.
* **Dated rates**: a rate with a ``start_date`` is in force from that day until the next start date of the same
  currency; a rate without one applies from the beginning. A deal is converted at the rate in force on its
  close date (expected close date of an open deal; its created date when that is empty), as Salesforce's dated
  exchange rates do. A date before a currency's first start date takes that first rate.
* ``amount_in_company_currency = amount_entered / rate``; the amount as entered is kept as ``amount_entered``.

Pure functions: inputs are never changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def codes(values: pd.Series) -> pd.Series:
    """Currency codes as compared: stripped and upper case (``' eur'`` → ``'EUR'``); empty stays missing."""
    text = values.astype("string").str.strip().str.upper()
    return text.mask(text == "", pd.NA)


def _rate_on(currency: pd.Series, dates: pd.Series, rates: pd.DataFrame) -> pd.Series:
    """Rate of each row's currency in force on its date, NaN where the table has no rate for the currency."""
    result = pd.Series(np.nan, index=currency.index, dtype="float64")
    table = rates.assign(currency=codes(rates["currency"]),
                         start=pd.to_datetime(rates["start_date"]) if "start_date" in rates.columns
                         else pd.Series(pd.NaT, index=rates.index, dtype="datetime64[ns]"))
    table = table[table["currency"].notna() & table["rate"].notna()]
    day = pd.to_datetime(dates).fillna(pd.Timestamp.min)
    for code, group in table.groupby("currency", sort=True):
        rows = (currency == code).fillna(False).to_numpy(dtype=bool)
        if not rows.any():
            continue
        group = group.sort_values("start", na_position="first", kind="stable")
        starts = group["start"].fillna(pd.Timestamp.min).to_numpy(dtype="datetime64[ns]")
        position = np.searchsorted(starts, day[rows].to_numpy(dtype="datetime64[ns]"), side="right") - 1
        result[rows] = group["rate"].to_numpy(dtype="float64")[np.clip(position, 0, None)]
    return result


def rates_per_row(currency: pd.Series, dates: pd.Series, rates: pd.DataFrame | None, company: str) -> pd.Series:
    """Units of each row's currency per one unit of the company currency, on the row's date.

    ``currency``: the rows' codes (missing: the company currency, rate 1); ``dates``: the day each row is
    converted at; ``rates``: the ``currency_rates`` table (``currency``, ``rate``, optional ``start_date``) or
    None. NaN marks a row whose currency has no rate."""
    row_codes = codes(currency).fillna(company.upper())
    own = (row_codes == company.upper()).to_numpy(dtype=bool)
    result = pd.Series(np.where(own, 1.0, np.nan), index=currency.index, dtype="float64")
    if rates is None or rates.empty or own.all():
        return result
    foreign = row_codes[~own]
    in_base = _rate_on(foreign, pd.Series(dates).loc[foreign.index], rates)
    company_rows = pd.Series(company.upper(), index=foreign.index, dtype="string")
    company_rate = _rate_on(company_rows, pd.Series(dates).loc[foreign.index], rates).fillna(1.0)
    result[~own] = (in_base / company_rate).to_numpy()
    return result


def conversion_dates(frame: pd.DataFrame) -> pd.Series:
    """The day each opportunity is converted at: its close date, else its created date."""
    close = frame["close_date"] if "close_date" in frame.columns else pd.Series(pd.NaT, index=frame.index)
    created = frame["created_date"] if "created_date" in frame.columns else pd.Series(pd.NaT, index=frame.index)
    return pd.to_datetime(close).fillna(pd.to_datetime(created))


def convert(amounts: pd.Series, rates: pd.Series) -> pd.Series:
    """Amounts divided by their rates (units per one company-currency unit): NaN where the rate is unknown."""
    return (amounts.astype("float64") / rates.astype("float64")).astype("float64")


def summary(frame: pd.DataFrame, company: str) -> tuple[int, str] | None:
    """How many rows were entered in another currency than the company's, and one sentence on the conversion
    (currencies with their row counts and the range of rates used); None when every row was in the company
    currency or the frame carries no conversion (``currency``, ``amount``, ``amount_entered``)."""
    if not {"currency", "amount", "amount_entered"} <= set(frame.columns):
        return None
    row_codes = codes(frame["currency"])
    foreign = row_codes.notna() & (row_codes != company.upper()) & frame["amount"].notna()
    if not foreign.any():
        return None
    used = frame.loc[foreign, "amount_entered"].astype("float64") / frame.loc[foreign, "amount"].astype("float64")
    parts = []
    for code, rates in used.groupby(row_codes[foreign].astype(object), sort=True):
        low, high = float(rates.min()), float(rates.max())
        shown = f"{low:,.6g}" if np.isclose(low, high) else f"{low:,.6g}–{high:,.6g}"
        parts.append(f"{code} ({int(rates.size):,} at {shown} per {company.upper()})")
    return int(foreign.sum()), (f"amounts entered in another currency converted to {company.upper()} with the "
                                f"currency_rates table, at the rate in force on each deal's close date: "
                                + "; ".join(parts))
