"""The canonical tables: the simulation's arrays turned into frames with the contract's columns and dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesops.contract import schema
from salesops.data.sample.clock import Clock, NO_END
from salesops.data.sample.knobs import (
    DUPLICATE_LEAD_SHARE, ENGAGEMENT, INDUSTRIES, MISSING_LEAD_INDUSTRY, OPEN_CATEGORY_MIX, OPEN_LEAD_DAYS,
    PRODUCTS, REGIONS, SEGMENTS, SOURCES,
)
from salesops.data.sample.names import FIRST_NAMES, LAST_NAMES


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers as ``datetime64[ns]`` midnights; ``NO_END`` (and later) becomes NaT."""
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days >= NO_END] = np.datetime64("NaT")
    return out


def _frame(table: str, columns: dict) -> pd.DataFrame:
    """Build ``table`` with every canonical column, in schema order, cast to its canonical dtype; an optional
    column the simulation does not make (an opportunity's currency: the sample sells in one) is empty."""
    spec = schema.TABLES[table]
    rows = len(next(iter(columns.values())))
    data = {}
    for col in spec.columns:
        values = columns[col.name] if col.required or col.name in columns else [None] * rows
        if col.kind == "string":
            data[col.name] = pd.array(np.asarray(values, dtype=object), dtype="string")
        elif col.kind in ("date", "datetime"):
            data[col.name] = pd.Series(np.asarray(values, dtype="datetime64[ns]"))
        elif col.kind == "bool":
            data[col.name] = pd.array(values, dtype="boolean")
        elif col.kind == "int":
            data[col.name] = pd.array(values, dtype="Int64")
        else:
            data[col.name] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(data)


def sequential_ids(prefix: str, n: int, width: int, start: int = 0) -> np.ndarray:
    """``prefix`` + start+1..start+n zero-padded to ``width`` digits (wider when needed), as an object array of str."""
    width = max(width, len(str(start + n)))
    size = len(prefix) + width
    out = np.empty(n, dtype=object)
    chunk = 500_000
    for lo in range(0, n, chunk):  # in chunks, to bound the temporary byte arrays
        nums = np.arange(start + lo + 1, start + min(n, lo + chunk) + 1, dtype=np.int64)
        raw = np.empty((len(nums), size), dtype=np.uint8)
        raw[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
        for k in range(width):
            raw[:, size - 1 - k] = nums // 10**k % 10 + ord("0")
        out[lo: lo + len(nums)] = raw.view(f"S{size}").ravel().astype(f"U{size}")
    return out


def _lookup(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``values[index]`` as an object array, with None where ``index`` is -1."""
    extended = np.append(np.asarray(values, dtype=object), None)
    return extended[np.where(index < 0, len(values), index)]


def _names(options, index: np.ndarray) -> np.ndarray:
    """The option named by each index (``REGIONS``, ``SEGMENTS``, ...), None where the index is -1."""
    return _lookup(np.array(options, dtype=object), np.asarray(index))


def reps_frame(reps, rep_ids) -> pd.DataFrame:
    """The ``reps`` table from ``people.simulate_reps``' arrays, one row per person in ``rep_ids`` order."""
    return _frame("reps", {
        "rep_id": rep_ids, "name": reps["name"], "role": _names(schema.ROLES, reps["role"]),
        "manager_id": _lookup(rep_ids, reps["manager"]), "region": _names(REGIONS, reps["region"]),
        "segment": _names(SEGMENTS, reps["segment"]), "hire_date": _dates(reps["hire"]),
        "end_date": _dates(reps["leave"]), "quota": reps["quota"], "ote": reps["ote"],
    })


def accounts_frame(accounts, order, rep_ids, account_ids) -> pd.DataFrame:
    """The ``accounts`` table, rows in ``order`` (from ``accounts.finish_accounts``).

    Adds ``accounts['position']`` (account index -> output row and id), which the leads and opportunities use.
    """
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    accounts["position"] = position  # account index -> output row (and id)
    industry = np.where(accounts["industry_missing"], -1, accounts["industry"])
    return _frame("accounts", {
        "account_id": account_ids, "name": accounts["name"][order],
        "industry": _names(INDUSTRIES, industry[order]),
        "employees": accounts["employees"][order], "annual_revenue": accounts["revenue"][order],
        "region": _names(REGIONS, accounts["region"][order]), "country": accounts["country"][order],
        "owner_rep_id": _lookup(rep_ids, accounts["owner"][order]),
        "created_date": _dates(accounts["created"][order]),
    })


def lead_rows(rng, clock: Clock, leads, accounts) -> dict[str, np.ndarray]:
    """Every draw the ``leads`` table needs, made at once in the simulation's order, as one number per kept lead (by
    created date): the internal lead (``lead``), its status, whether its company is typed in lower case, where its
    e-mail and phone come from (``contact``: the row whose contact it repeats, itself unless it is a planted
    duplicate; ``phone``: index into the phone numbers) and its industry (-1 missing). Text is made from these a
    slice at a time (:func:`leads_frame`)."""
    keep = np.flatnonzero(leads["keep"])
    keep = keep[np.lexsort((keep, leads["created"][keep]))]
    n = len(keep)
    account = leads["account"][keep]
    converted = leads["converted"][keep]
    recent = leads["created"][keep] > clock.end - OPEN_LEAD_DAYS
    engaged = (leads["email_clicks"][keep] + leads["form_fills"][keep]) > 0
    status = np.where(converted, 0, np.where(recent | leads["will_convert"][keep], np.where(engaged, 1, 2), 3))
    lower = rng.random(n) < 0.05  # typed in lower case
    phone = rng.integers(0, len(_PHONES), n)
    # duplicate leads: the same contact entered again later (same e-mail and phone as the previous lead)
    by_account = np.lexsort((np.arange(n), account))
    same = np.flatnonzero(account[by_account][1:] == account[by_account][:-1]) + 1
    dup = rng.choice(same, min(len(same), int(round(DUPLICATE_LEAD_SHARE * n))), replace=False)
    contact = np.arange(n)
    contact[by_account[dup]] = by_account[dup - 1]
    phone[by_account[dup]] = phone[by_account[dup - 1]]
    industry = np.where(rng.random(n) < MISSING_LEAD_INDUSTRY, -1, accounts["industry"][account])
    return {"lead": keep, "account": account, "status": status, "lower": lower, "contact": contact, "phone": phone,
            "industry": industry}


#: The phone numbers leads are drawn from.
_PHONES = np.array([f"+1 555 01{i // 900:02d} ext {100 + i % 900}" for i in range(90_000)], dtype=object)


def lead_ids_of(leads, rows: dict[str, np.ndarray]) -> np.ndarray:
    """The lead id per internal lead index (``L0000001`` … by created date), None for a lead not kept."""
    lead_ids = np.full(len(leads["created"]), None, dtype=object)
    lead_ids[rows["lead"]] = sequential_ids("L", len(rows["lead"]), 7)
    return lead_ids


def leads_frame(rows: dict[str, np.ndarray], leads, accounts, rep_ids, account_ids, lead_ids,
                part: slice = slice(None)) -> pd.DataFrame:
    """The ``leads`` table (or the rows ``part`` of it) from :func:`lead_rows`: kept leads by created date, with
    e-mail, phone and the planted duplicates and missing industries."""
    start, stop, _ = part.indices(len(rows["lead"]))
    keep, account = rows["lead"][start:stop], rows["account"][start:stop]
    converted = leads["converted"][keep]
    company = accounts["name"][account]
    lower = np.flatnonzero(rows["lower"][start:stop])
    company[lower] = np.char.lower(company[lower].astype(str)).astype(object)
    domain = ("@" + pd.Series(accounts["name"]).str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
              + ".example").to_numpy(object)
    local = (pd.Series(np.repeat(np.array(FIRST_NAMES, dtype=object), len(LAST_NAMES)))
             + "." + np.tile(np.array(LAST_NAMES, dtype=object), len(FIRST_NAMES)))
    local = local.str.lower().str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    contact = rows["lead"][rows["contact"][start:stop]]
    email = (local.to_numpy(object)[leads["first"][contact] * len(LAST_NAMES) + leads["last"][contact]]
             + domain[rows["account"][rows["contact"][start:stop]]])
    shown = np.where(leads["show_account"][keep], accounts["position"][account], -1)
    return _frame("leads", {
        "lead_id": lead_ids[keep], "created_date": _dates(leads["created"][keep]),
        "source": _names(SOURCES, leads["source"][keep]),
        "account_id": _lookup(account_ids, shown), "company": company,
        "industry": _names(INDUSTRIES, rows["industry"][start:stop]),
        "employees": leads["employees"][keep], "region": _names(REGIONS, accounts["region"][account]),
        "title": leads["title"][keep],
        **{col: leads[col][keep] for col in ENGAGEMENT},
        "status": np.array(["converted", "working", "open", "disqualified"], dtype=object)[rows["status"][start:stop]],
        "converted": converted,
        "converted_date": _dates(np.where(converted, leads["convert_day"][keep], NO_END)),
        "owner_rep_id": _lookup(rep_ids, leads["owner"][keep]), "email": email,
        "phone": _PHONES[rows["phone"][start:stop]],
    }).set_axis(pd.RangeIndex(start, stop), axis=0)


def opportunities_frame(rng, opps, accounts, rep_ids, account_ids, lead_ids):
    """The kept deals by created date, with a forecast category drawn by stage for the open ones.

    Returns (opportunity id per internal deal index, None for a deal not kept; the ``opportunities`` table).
    """
    keep = np.flatnonzero(opps["keep"])
    keep = keep[np.lexsort((keep, opps["created"][keep]))]
    opp_ids = np.full(len(opps["created"]), None, dtype=object)
    opp_ids[keep] = sequential_ids("O", len(keep), 7)
    stage = opps["stage"][keep]
    is_open = opps["is_open"][keep]
    won = opps["won"][keep] & ~is_open
    mix = np.cumsum(OPEN_CATEGORY_MIX[np.minimum(stage, 4)], axis=1)
    u = rng.random(len(keep))
    category = np.array(["pipeline", "best_case", "commit"], dtype=object)[(u[:, None] >= mix[:, :2]).sum(axis=1)]
    category = np.where(is_open, category, np.where(won, "closed", "omitted"))
    lead = opps["lead"][keep]
    frame = _frame("opportunities", {
        "opportunity_id": opp_ids[keep],
        "account_id": _lookup(account_ids, accounts["position"][opps["account"][keep]]),
        "rep_id": _lookup(rep_ids, opps["rep"][keep]),
        "product": _names([p[0] for p in PRODUCTS], opps["product"][keep]),
        "created_date": _dates(opps["created"][keep]), "close_date": _dates(opps["close"][keep]),
        "stage": _names(schema.STAGES, stage), "max_stage": _names(schema.OPEN_STAGES, opps["max_stage"][keep]),
        "amount": opps["amount"][keep], "is_closed": ~is_open, "is_won": won,
        "forecast_category": category, "lead_id": _lookup(lead_ids, lead),
    })
    return opp_ids, frame


def activities_frame(activities, rep_ids, opp_ids, rows: slice = slice(None)) -> pd.DataFrame:
    """The ``activities`` table, in the order of ``activities.make_activities`` (by time); minutes as drawn. With
    ``rows``, only those rows (ids as in the whole table): the largest table is written a slice at a time."""
    n = len(activities["opp"])
    start, stop, _ = rows.indices(n)
    part = {name: values[start:stop] for name, values in activities.items()}
    return _frame("activities", {
        "activity_id": sequential_ids("X", stop - start, max(8, len(str(n))), start),
        "rep_id": _lookup(rep_ids, part["rep"]),
        "timestamp": part["timestamp"].view("datetime64[ns]"),
        "type": _names(schema.ACTIVITY_TYPES, part["kind"]),
        "opportunity_id": _lookup(opp_ids, part["opp"]),
        "duration_minutes": part["duration"],
    })


def products_frame(orders) -> pd.DataFrame:
    """The ``products`` table from ``PRODUCTS``; only the hardware product has units ``on_hand``."""
    hardware = np.array([p[2] == "hardware" for p in PRODUCTS])
    return _frame("products", {
        "product": [p[0] for p in PRODUCTS], "family": [p[1] for p in PRODUCTS], "kind": [p[2] for p in PRODUCTS],
        "unit_price": [p[3] for p in PRODUCTS], "unit_cost": [p[4] for p in PRODUCTS],
        "lead_time_days": [p[5] for p in PRODUCTS],
        "on_hand": [orders["on_hand"] if h else None for h in hardware],
    })


def orders_frame(orders) -> pd.DataFrame:
    """The ``orders`` table: hardware order lines by date, as ``orders.make_orders`` drew them."""
    n = len(orders["day"])
    return _frame("orders", {
        "order_id": sequential_ids("S", n, 7), "order_date": _dates(orders["day"]),
        "product": [PRODUCTS[-1][0]] * n,
        "region": _names(REGIONS, orders["region"]), "units": orders["units"], "revenue": orders["revenue"],
    })


def submissions_frame(submissions, rep_ids) -> pd.DataFrame:
    """The ``forecast_submissions`` table: a commit and a best-case row per AE and quarter (period ``YYYYQn``)."""
    n = len(submissions["rep"])
    quarter = submissions["quarter"]
    period = (1970 + quarter // 4).astype(str).astype(object) + "Q" + (quarter % 4 + 1).astype(str).astype(object)
    rep = np.concatenate([submissions["rep"]] * 2)
    order = np.lexsort((np.repeat([0, 1], n), rep, np.concatenate([quarter] * 2)))
    return _frame("forecast_submissions", {
        "submitted_date": _dates(np.concatenate([submissions["submitted"]] * 2)[order]),
        "rep_id": _lookup(rep_ids, rep[order]), "period": np.concatenate([period] * 2)[order],
        "category": np.repeat(np.array(["commit", "best_case"], dtype=object), n)[order],
        "amount": np.concatenate([submissions["commit"], submissions["best_case"]])[order],
    })
