"""Building the long series the forecast reads: bookings (or any dated rows) per period and hierarchy level,
and the checks every stage applies to a series frame (long format, series ids: ``salesops.demand.forecast``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesops.checks import as_timestamp
from salesops.contract.schema import TEXT_DTYPE
from salesops.demand.forecast.settings import DEFAULT_LEVELS, TOTAL_ID, check_freq, check_levels, did_you_mean


_PANDAS_PERIOD = {"M": "M", "W": "W-SUN", "Q": "Q-DEC"}  # a week ends on Sunday, so it starts on Monday

#: The columns of a long series frame: series id, period start, value.
SERIES_KEYS = ("unique_id", "ds", "y")


def series_id(level: Sequence[str], values: Sequence[Any]) -> str:
    """``unique_id`` of the series of ``level`` with ``values``: ``"total"`` or ``"region=EMEA/segment=MM"``."""
    if not level:
        return TOTAL_ID
    return "/".join(f"{column}={value}" for column, value in zip(level, values))


def _attach(frame: pd.DataFrame, columns: list[str], lookup: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """``frame`` with the level ``columns`` it lacks taken from ``lookup`` (joined on their shared columns)."""
    missing = [column for column in columns if column not in frame.columns]
    if not missing:
        return frame
    if lookup is not None:
        if not isinstance(lookup, pd.DataFrame):
            raise ValueError(f"segment_columns must be a DataFrame (a lookup such as reps[['rep_id', 'region', "
                             f"'segment']]) or None; got {type(lookup).__name__}")
        keys = [column for column in lookup.columns if column in frame.columns and column not in columns]
        taken = [column for column in missing if column in lookup.columns]
        if keys and taken:
            if lookup.duplicated(keys).any():
                raise ValueError(f"segment_columns must have one row per {keys}; some keys appear more than once")
            frame = frame.merge(lookup[[*keys, *taken]], on=keys, how="left", validate="many_to_one")
            missing = [column for column in missing if column not in taken]
    if missing:
        available = list(frame.columns) + ([c for c in lookup.columns if c not in frame.columns]
                                           if isinstance(lookup, pd.DataFrame) else [])
        hint = did_you_mean(missing[0], [str(c) for c in available])
        raise ValueError(
            f"levels: column {missing[0]!r}{hint} is not in the {table} table"
            f"{' nor in segment_columns (joined on a shared key column)' if lookup is not None else ''}; "
            f"available columns: {available}. Add it (e.g. salesops.collect.overview.attach_segments adds region and "
            "segment to opportunities) or change levels"
        )
    return frame


def series_from_counts(
    frame: pd.DataFrame,
    date_column: str,
    levels: Sequence[Sequence[str]] = DEFAULT_LEVELS,
    freq: str = "M",
    start=None,
    end=None,
    value_column: str | None = None,
    segment_columns: pd.DataFrame | None = None,
    table: str = "frame",
) -> pd.DataFrame:
    """Rows of ``frame`` per period and level as long series: the count of rows (or the sum of
    ``value_column``) dated by ``date_column``.

    Columns: ``unique_id, ds, y, <level columns...>`` (the level columns in the order they first appear in
    ``levels``). ``ds`` is the first day of the period; ``y`` float. A level column is NA on the rows of the
    levels that do not split by it; a missing value in the data becomes ``"Unknown"``.

    Only rows dated in ``[start, end]`` (both days included) count; defaults: the first and last date.
    Every series has every period from the one containing ``start`` to the one containing ``end``, zeros
    where nothing happened; a level's series are the value combinations that occur in range. The first
    and last period are partial when ``start``/``end`` are not period boundaries: pass the last day of the
    last complete period as ``end``. Rows: levels top to bottom, then by the level's values, then ``ds``.

    ``segment_columns``: an optional lookup table giving level columns ``frame`` lacks, joined on the
    columns it shares with ``frame`` (e.g. ``reps[["rep_id", "region", "segment"]]`` joined on rep_id).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{table} must be a DataFrame; got {type(frame).__name__}")
    levels = check_levels(levels)
    freq = check_freq(freq)
    if date_column not in frame.columns:
        raise ValueError(f"date_column {date_column!r}{did_you_mean(date_column, [str(c) for c in frame.columns])} is not "
                         f"in the {table} table; it has {list(frame.columns)}")
    if value_column is not None and value_column not in frame.columns:
        raise ValueError(f"value_column {value_column!r} is not in the {table} table; it has {list(frame.columns)}")
    if not pd.api.types.is_datetime64_any_dtype(frame[date_column]):
        raise ValueError(f"{table}.{date_column} must hold dates (datetime64); got dtype {frame[date_column].dtype}")
    start = None if start is None else as_timestamp(start, "start")
    end = None if end is None else as_timestamp(end, "end")
    if start is not None and end is not None and start > end:
        raise ValueError(f"start ({start.date()}) must not be after end ({end.date()})")
    columns = list(dict.fromkeys(column for level in levels for column in level))
    frame = _attach(frame, columns, segment_columns, table)

    day = frame[date_column].dt.normalize()
    keep = day.notna().to_numpy(dtype=bool)
    if start is not None:
        keep &= (day >= start.normalize()).to_numpy(dtype=bool, na_value=False)
    if end is not None:
        keep &= (day <= end.normalize()).to_numpy(dtype=bool, na_value=False)
    rows = frame.loc[keep]
    period = _PANDAS_PERIOD[freq]
    first = start if start is not None else day[keep].min()
    last = end if end is not None else day[keep].max()
    out_columns = [*SERIES_KEYS, *columns]
    if pd.isna(first) or pd.isna(last):
        return _empty_series(columns)
    periods = pd.period_range(first.to_period(period), last.to_period(period), freq=period)
    ds = pd.DatetimeIndex(periods.start_time).astype("datetime64[ns]")

    values = (rows[value_column].astype("float64") if value_column is not None
              else pd.Series(1.0, index=rows.index))
    data = pd.DataFrame({"ds": rows[date_column].dt.to_period(period).dt.start_time.astype("datetime64[ns]"),
                         "y": values.to_numpy(dtype="float64", na_value=0.0)})
    for column in columns:
        data[column] = rows[column].astype("string").str.strip().replace("", pd.NA).fillna("Unknown").to_numpy()

    pieces = []
    for level in levels:
        keys = list(level)
        if keys:
            totals = data.groupby([*keys, "ds"], sort=False)["y"].sum().rename("y").reset_index()
            combos = data[keys].drop_duplicates().sort_values(keys, kind="stable").reset_index(drop=True)
            combos.insert(0, "unique_id", [series_id(keys, values) for values in combos.itertuples(index=False)])
            block = combos.merge(pd.DataFrame({"ds": ds}), how="cross").merge(totals, on=[*keys, "ds"], how="left")
            block["y"] = block["y"].fillna(0.0)
        else:
            totals = data.groupby("ds")["y"].sum().reindex(ds, fill_value=0.0)
            block = pd.DataFrame({"unique_id": TOTAL_ID, "ds": ds, "y": totals.to_numpy(dtype="float64")})
        for column in columns:
            if column not in block.columns:
                block[column] = pd.NA
        pieces.append(block[out_columns])
    out = pd.concat(pieces, ignore_index=True)
    return out.astype({"unique_id": TEXT_DTYPE, "ds": "datetime64[ns]", "y": "float64",
                       **{column: TEXT_DTYPE for column in columns}})


def _empty_series(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": pd.array([], dtype=TEXT_DTYPE), "ds": pd.Series([], dtype="datetime64[ns]"),
                         "y": pd.Series([], dtype="float64"),
                         **{column: pd.array([], dtype=TEXT_DTYPE) for column in columns}})


def series_from_bookings(
    opportunities: pd.DataFrame,
    levels: Sequence[Sequence[str]] = DEFAULT_LEVELS,
    freq: str = "M",
    start=None,
    end=None,
    segment_columns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Bookings (``amount`` of won deals, by ``close_date``) per period and level as long series.

    Columns ``unique_id, ds, y, <level columns...>``; ``y`` in the company currency. A deal is won when
    ``is_won`` is true. Everything else as ``series_from_counts`` (period range, zero-filling, ids, order,
    ``segment_columns``). Canonical opportunities carry no region or segment: add them first with
    ``collect.overview.attach_segments(opportunities, reps, accounts)`` or pass a lookup as ``segment_columns``.
    """
    if not isinstance(opportunities, pd.DataFrame):
        raise ValueError(f"opportunities must be a DataFrame; got {type(opportunities).__name__}")
    missing = [column for column in ("close_date", "amount", "is_won") if column not in opportunities.columns]
    if missing:
        raise ValueError(f"opportunities is missing required column(s) {missing}; it has {list(opportunities.columns)}")
    won = opportunities.loc[opportunities["is_won"].fillna(False).to_numpy(dtype=bool)]
    return series_from_counts(won, "close_date", levels, freq, start, end, value_column="amount",
                              segment_columns=segment_columns, table="opportunities")


def check_series(series: Any, name: str = "series") -> pd.DataFrame:
    """``series`` checked and reduced to ``unique_id`` (str), ``ds``, ``y`` (float), sorted; ValueError otherwise."""
    if not isinstance(series, pd.DataFrame):
        raise ValueError(f"{name} must be a long DataFrame with columns unique_id, ds, y (see series_from_bookings); "
                         f"got {type(series).__name__}")
    missing = [column for column in SERIES_KEYS if column not in series.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; it has {list(series.columns)}. Build it with "
                         "series_from_bookings or series_from_counts")
    if len(series) == 0:
        raise ValueError(f"{name} is empty: there is nothing to forecast (no bookings in the date range?)")
    if not pd.api.types.is_datetime64_any_dtype(series["ds"]):
        raise ValueError(f"{name}.ds must hold period start dates (datetime64); got dtype {series['ds'].dtype}")
    y = pd.to_numeric(series["y"], errors="coerce").astype("float64")
    bad = y.isna() | ~np.isfinite(y)
    if bad.any():
        row = series.loc[bad].iloc[0]
        raise ValueError(f"{name}.y has {int(bad.sum())} missing or non-numeric value(s), e.g. unique_id "
                         f"{row['unique_id']!r} at {row['ds']}; fill periods with nothing with 0 or drop the series")
    out = pd.DataFrame({"unique_id": series["unique_id"].astype(str).to_numpy(dtype=object),
                        "ds": series["ds"].astype("datetime64[ns]").to_numpy(), "y": y.to_numpy()})
    if out.duplicated(["unique_id", "ds"]).any():
        row = out.loc[out.duplicated(["unique_id", "ds"])].iloc[0]
        raise ValueError(f"{name} has more than one row for unique_id {row['unique_id']!r} at {row['ds']}; "
                         "one row per series and period")
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def check_regular(frame: pd.DataFrame, freq: str, name: str = "series") -> None:
    """Every ``ds`` a period start of ``freq`` and no gaps within a series."""
    ds = frame["ds"]
    starts = {"M": ds.dt.day == 1, "W": ds.dt.dayofweek == 0, "Q": (ds.dt.day == 1) & (ds.dt.month % 3 == 1)}
    aligned = (ds == ds.dt.normalize()) & starts[freq]
    if not aligned.all():
        bad = frame.loc[~aligned.to_numpy()].iloc[0]
        first = {"M": "the first day of a month", "W": "a Monday",
                 "Q": "the first day of a calendar quarter: 1 January, April, July or October"}[freq]
        raise ValueError(f"{name}.ds must be period starts for freq {freq!r} ({first}); unique_id "
                         f"{bad['unique_id']!r} has {bad['ds']}")
    number = _period_number(ds, freq)
    same = frame["unique_id"].to_numpy() == np.roll(frame["unique_id"].to_numpy(), 1)
    gap = same & (number - np.roll(number, 1) != 1)
    gap[0] = False
    if gap.any():
        where = int(np.flatnonzero(gap)[0])
        before, after = frame["ds"].iloc[where - 1].date(), frame["ds"].iloc[where].date()
        raise ValueError(f"{name} has a gap between {before} and {after} in unique_id "
                         f"{frame['unique_id'].iloc[where]!r}: every period must be present (0 where nothing "
                         "happened); series_from_bookings fills them")


def _period_number(ds: pd.Series, freq: str) -> np.ndarray:
    """Consecutive integers for consecutive periods."""
    if freq == "M":
        return (ds.dt.year * 12 + ds.dt.month).to_numpy(dtype="int64")
    if freq == "Q":
        return (ds.dt.year * 4 + (ds.dt.month - 1) // 3).to_numpy(dtype="int64")
    return ((ds - pd.Timestamp("1970-01-05")).dt.days // 7).to_numpy(dtype="int64")


def trim_leading_zeros(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop each series' leading zeros (a series with no non-zero value keeps all its rows)."""
    started = frame["y"].ne(0).groupby(frame["unique_id"], sort=False).cummax()
    never = ~frame["y"].ne(0).groupby(frame["unique_id"], sort=False).transform("any")
    return frame.loc[(started | never).to_numpy()].reset_index(drop=True)
