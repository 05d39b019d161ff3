"""What every part of lead scoring reads from a lead: its creation, its outcome, its state on a day.

* A lead's *age* at a date is the number of whole days from its ``created_date`` to that date.
* A lead *converted by* a date D when ``converted`` is true and ``converted_date`` is on or before D. A
  converted lead without a ``converted_date`` is assumed to have converted within ``outcome_days`` of its
  creation. Missing ``converted`` counts as not converted unless a ``converted_date`` is filled in.
* Date columns may hold dates and date-times mixed; only the calendar day counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.collect.scoring.settings import ScoringSettings, check_settings
from salesops.contract.schema import TEXT_DTYPE

#: States of a lead on a day (:func:`lead_states`).
LEAD_STATES: tuple[str, ...] = ("open", "stale", "closed", "converted", "not created yet")


def check_leads(leads, columns: Sequence[str], name: str = "leads") -> None:
    """ValueError unless ``leads`` is a DataFrame with ``columns`` and (when asked for) no empty created_date."""
    if not isinstance(leads, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame of canonical leads; got {type(leads).__name__}")
    missing = [column for column in columns if column not in leads.columns]
    if missing:
        raise ValueError(f"{name} is missing required column(s) {missing}; it has {list(leads.columns)}")
    if "created_date" in columns and as_days(leads["created_date"]).isna().any():
        empty = as_days(leads["created_date"]).isna()
        rows = np.flatnonzero(empty.to_numpy())[:5].tolist()
        raise ValueError(f"{name}.created_date is empty or not a date on {int(empty.sum())} row(s), "
                         f"e.g. positions {rows}: every lead needs its creation date")


def as_days(values: pd.Series) -> pd.Series:
    """Dates or date-times (mixed; also as text: ISO first, then any format pandas reads) as midnight
    Timestamps, NaT where missing or unreadable. A zone, if any, is dropped after conversion to UTC."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values
        if getattr(values.dt, "tz", None) is not None:
            parsed = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return parsed.astype("datetime64[ns]").dt.normalize()
    text = values.astype(TEXT_DTYPE).str.strip()
    text = text.mask(text.eq("").fillna(False)).astype(object).where(text.notna(), None)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    unread = parsed.isna() & text.notna()
    if unread.any():
        parsed[unread] = pd.to_datetime(text[unread], format="mixed", errors="coerce", utc=True)
    return parsed.dt.tz_localize(None).astype("datetime64[ns]").dt.normalize()


def holds_dates(values: pd.Series) -> bool:
    """Whether a column holds dates: a datetime dtype, or text of which at least 90 % of the filled values
    read as ISO dates or date-times (numbers never count, though pandas would read some as dates)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return True
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return False
    filled = values.dropna().astype(str).str.strip()
    filled = filled[filled != ""].head(2000)
    if filled.empty or pd.to_numeric(filled, errors="coerce").notna().mean() > 0.5:
        return False
    parsed = pd.to_datetime(filled, format="ISO8601", errors="coerce")
    return bool(parsed.notna().mean() >= 0.9)


def created(leads: pd.DataFrame) -> pd.Series:
    """Each lead's creation day (midnight)."""
    return as_days(leads["created_date"])


def converted_flag(leads: pd.DataFrame) -> np.ndarray:
    """Converted at any time: ``converted`` true, or missing with a ``converted_date`` filled in."""
    if "converted_date" in leads.columns:
        has_date = as_days(leads["converted_date"]).notna()
    else:
        has_date = pd.Series(False, index=leads.index)
    if "converted" not in leads.columns:
        return has_date.to_numpy(dtype=bool)
    flag = leads["converted"].astype("boolean")
    return flag.fillna(has_date.astype("boolean")).to_numpy(dtype=bool)


def conversion_dates(leads: pd.DataFrame, outcome_days: int) -> pd.Series:
    """When each lead converted: ``converted_date``, else created_date + outcome_days (NaT: never converted)."""
    made = created(leads)
    if "converted_date" in leads.columns:
        dates = as_days(leads["converted_date"])
    else:
        dates = pd.Series(pd.NaT, index=leads.index, dtype="datetime64[ns]")
    dates = dates.fillna(made + pd.Timedelta(days=outcome_days))
    return dates.where(converted_flag(leads))


def converted_by(leads: pd.DataFrame, date, outcome_days: int = 90) -> np.ndarray:
    """Whether each lead had converted by ``date`` (inclusive): the outcome as it was known that day.

    ``converted`` true with ``converted_date`` on or before ``date``. A converted lead without a
    ``converted_date`` is taken to have converted ``outcome_days`` after its creation. Returns a bool array
    in the order of ``leads``.
    """
    check_leads(leads, ["created_date"])
    day = as_timestamp(date, "date")
    return (conversion_dates(leads, outcome_days) <= day).to_numpy(dtype=bool)


def clean_text(series: pd.Series) -> pd.Series:
    """Text stripped, blank text as missing: object dtype with np.nan for missing (what scikit-learn expects)."""
    values = series.astype(TEXT_DTYPE).str.strip()
    values = values.mask(values.eq("").fillna(False))
    return values.astype(object).where(values.notna(), np.nan)


def folded_text(series: pd.Series) -> pd.Series:
    """:func:`clean_text`, casefolded (for matching ignoring case)."""
    values = clean_text(series)
    return values.map(lambda value: value.casefold() if isinstance(value, str) else value)


def last_activity(leads: pd.DataFrame, settings: ScoringSettings) -> pd.Series | None:
    """The day of each lead's latest activity from ``settings.recency.column``, or None without that column."""
    column = settings.recency.column
    return as_days(leads[column]) if column in leads.columns else None


def lead_states(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> pd.Series:
    """Each lead's state at ``as_of`` (text, index of ``leads``), the first that applies:

    * ``not created yet``: created after ``as_of``;
    * ``converted``: converted by ``as_of`` (see :func:`converted_by`);
    * ``closed``: its status is one of ``settings.closed_statuses`` (ignoring case). "converted" is ignored
      for a lead that converted after ``as_of`` (it was open then);
    * ``stale``: no status (no status column, or an empty one) and more than ``settings.stale_after_days``
      days since its creation, or since its last activity when the leads have ``settings.recency.column``
      and it is later;
    * ``open``: every other lead: the ones to score.
    """
    settings = check_settings(settings)
    check_leads(leads, ["created_date"])
    day = as_timestamp(as_of, "as_of").normalize()
    conversion = conversion_dates(leads, settings.outcome_days)
    made = created(leads)
    state = np.full(len(leads), "open", dtype=object)
    if "status" in leads.columns:
        status = folded_text(leads["status"])
        closed_set = {value.strip().casefold() for value in settings.closed_statuses}
        closed = status.isin(closed_set).to_numpy(dtype=bool)
        closed &= ~((conversion > day).to_numpy(dtype=bool) & (status == "converted").to_numpy(dtype=bool))
        no_status = status.isna().to_numpy(dtype=bool)
    else:
        closed = np.zeros(len(leads), dtype=bool)
        no_status = np.ones(len(leads), dtype=bool)
    latest = made
    activity = last_activity(leads, settings)
    if activity is not None:
        latest = activity.where(activity.notna() & (activity > made) & (activity <= day), made)
    stale = no_status & ((day - latest).dt.days > settings.stale_after_days).to_numpy(dtype=bool)
    state[stale] = "stale"
    state[closed] = "closed"
    state[(conversion <= day).to_numpy(dtype=bool)] = "converted"
    state[(made > day).to_numpy(dtype=bool)] = "not created yet"
    return pd.Series(pd.array(state, dtype=TEXT_DTYPE), index=leads.index, name="state")


def open_leads_mask(leads: pd.DataFrame, as_of, settings: ScoringSettings | None = None) -> np.ndarray:
    """Which leads are open at ``as_of`` (:func:`lead_states` is "open"), as a bool array."""
    return (lead_states(leads, as_of, settings) == "open").to_numpy(dtype=bool)
