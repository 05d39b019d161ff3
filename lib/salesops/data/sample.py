"""The deterministic sample company: every canonical table, generated from one seed.

What is modelled (all amounts in the company currency, all durations in days unless named otherwise):

* **Team** (``reps``): account executives (AE) in three segments (SMB, MM, ENT) and four regions, plus SDRs,
  SEs, CSMs, support staff and managers. The team grows about 30 % a year; people leave (about 18 % of AEs a
  year) and are backfilled. A new AE ramps over 4-6 months (fewer deals routed to them, lower win rate). AEs
  differ in a hidden skill that changes their activity *mix* (more meetings and demos, fewer e-mails) and their
  stage conversion, and only a little their volume.
* **Accounts**: companies in eight industries; size (employees) implies the segment (<200 SMB, 200-1999 MM,
  2000+ ENT). Some industries and sizes fit the product better (the ICP): their leads convert and their deals
  win more often.
* **Leads**: volume follows AE capacity with seasonality. Conversion is logistic in ICP fit, title seniority,
  source and a latent interest that drives the observed engagement counts, so a lead-scoring model can learn it.
  A converted lead becomes an opportunity on its conversion date; about 40 % of opportunities are self-sourced
  (no lead).
* **Opportunities**: each passes five stage gates (qualify ... negotiate, then the win) with probabilities
  that depend on segment, rep skill and ramp, ICP fit, lead interest and how intensively the deal is worked.
  Deal sizes are lognormal by segment (about 8k / 35k / 150k), cycles too (about 30 / 60 / 120 days).
  Won deals cluster in the last two weeks of each quarter, peak in December and dip in July-August.
  Deals still running on ``end_date`` are open with an expected close date in the future. When an AE leaves,
  their running deals are either closed lost on the leaving day or handed to a colleague.
* **Activities**: e-mails, calls, meetings, demos and proposals logged against deals stage by stage, in
  working hours, plus SDR prospecting e-mails and calls without a deal.
* **Forecast submissions**: each AE's commit and best case for every quarter they worked, submitted in the
  first two weeks of the quarter, anchored on what they went on to close; some reps are optimistic, a few
  pessimistic.
* **Products** (five software/service products and one hardware product) and **orders** (shipped hardware
  units by region, seasonal with growth).

Planted data-quality defects (all within the schema rules) are described in ``docs/sample.md``: duplicate
accounts, missing industries, stale open deals, deals without logged activity, duplicate leads.

History covers ``history_years`` years ending on ``end_date``. The simulation starts six months earlier so the
first months are not starved of deals: deals closing inside the window are kept even when they were created
before it (with their lead and activities). Nothing is dated after ``end_date`` except the expected close date
of open deals. The same arguments always give the same frames and the same Parquet bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from salesops.contract import schema

# --------------------------------------------------------------------------------------------------------
# Constants: the knobs of the sample company. Index order follows the tuples they describe.
# --------------------------------------------------------------------------------------------------------

DAY_NS = 86_400 * 10**9
NO_END = np.int64(2**40)  # "still employed": a day number far in the future
WARM_UP_MONTHS = 6  # simulated before the history window so the first months have mature pipeline

SEGMENTS = schema.SEGMENTS  # ("SMB", "MM", "ENT")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_SHARE = np.array([0.48, 0.28, 0.15, 0.09])
COUNTRIES = {
    "NA": (("US", "CA"), (0.82, 0.18)),
    "EMEA": (("GB", "DE", "FR", "NL", "SE", "ES"), (0.28, 0.26, 0.18, 0.10, 0.08, 0.10)),
    "APAC": (("AU", "SG", "JP", "IN", "NZ"), (0.35, 0.20, 0.22, 0.15, 0.08)),
    "LATAM": (("BR", "MX", "CL", "CO"), (0.45, 0.32, 0.12, 0.11)),
}

# Team
HEADCOUNT_AT_END = {"AE": 60, "SDR": 20, "SE": 10, "CSM": 10, "SUPPORT": 8, "MANAGER": 8}  # at scale 1
MIN_HEADCOUNT = {"AE": 3, "SDR": 1, "SE": 1, "CSM": 1, "SUPPORT": 1, "MANAGER": 1}
TEAM_GROWTH = 1.30  # headcount multiplier per year
ANNUAL_ATTRITION = {"AE": 0.18, "SDR": 0.20, "SE": 0.12, "CSM": 0.12, "SUPPORT": 0.15, "MANAGER": 0.0}
MIN_TENURE_BEFORE_LEAVING = 90  # days
AE_SEGMENT_SHARE = np.array([0.40, 0.35, 0.25])
RAMP_MONTHS = np.array([4.0, 5.0, 6.0])  # months to full productivity, by segment
QUOTA = np.array([150_000.0, 300_000.0, 450_000.0])  # quarterly bookings quota by segment
OTE_AE = np.array([110_000.0, 150_000.0, 220_000.0])  # annual on-target earnings by segment
OTE_OTHER = {"SDR": 75_000.0, "SE": 170_000.0, "CSM": 110_000.0, "SUPPORT": 70_000.0, "MANAGER": 230_000.0}
SKILL_VOLUME = 0.10  # log-volume per skill s.d. (small: top reps differ in mix and conversion)
SKILL_CONVERSION = 0.22  # gate logit per skill s.d.
SKILL_DEMO_MIX = 0.35  # log meetings/demos per skill s.d.
SKILL_EMAIL_MIX = -0.15  # log e-mails per skill s.d.
RAMP_WIN_PENALTY = 0.6  # gate logit lost by a brand-new rep (scaled by 1 - ramp)

# Accounts
ACCOUNTS_AT_SCALE_1 = 10_000
ACCOUNT_SEGMENT_SHARE = np.array([0.62, 0.27, 0.11])
EMPLOYEE_RANGE = ((5, 199), (200, 1999), (2000, 60_000))  # by segment (log-uniform)
INDUSTRIES = ("Software", "Finance", "Logistics", "Manufacturing", "Healthcare", "Retail", "Education",
              "Public Sector")
INDUSTRY_SHARE = np.array([0.16, 0.12, 0.10, 0.16, 0.14, 0.14, 0.09, 0.09])
INDUSTRY_FIT = np.array([0.6, 0.4, 0.35, 0.1, 0.0, -0.3, -0.5, -0.6])  # ICP fit (logit points)
REVENUE_PER_EMPLOYEE = np.array([250e3, 400e3, 220e3, 200e3, 150e3, 160e3, 90e3, 110e3])

# Leads
LEAD_SOURCED_SHARE = 0.60  # share of opportunities that come from a converted lead
LEAD_CONVERSION = 0.17  # mean conversion probability the lead volume is sized for
LEAD_CONVERSION_INTERCEPT = -2.4
LEAD_INTEREST_CONVERSION = 1.3  # logit per s.d. of latent interest
LEAD_ICP_CONVERSION = 0.9  # logit per point of ICP fit
SOURCES = ("web", "paid_search", "content", "webinar", "event", "referral", "partner", "outbound")
SOURCE_SHARE = np.array([0.28, 0.18, 0.12, 0.12, 0.10, 0.08, 0.06, 0.06])
SOURCE_EFFECT = np.array([0.0, -0.3, -0.2, 0.1, 0.2, 0.8, 0.5, -0.4])
SENIORITY_SHARE = np.array([0.07, 0.13, 0.22, 0.30, 0.28])  # C-level, VP, Director, Manager, IC
SENIORITY_EFFECT = np.array([0.8, 0.9, 0.6, 0.0, -0.7])
TITLES = (
    ("CEO", "CFO", "COO", "CTO", "CIO"),
    ("VP Sales", "VP Operations", "VP Engineering", "VP Finance", "VP IT"),
    ("Director of Operations", "IT Director", "Finance Director", "Director of Engineering"),
    ("Operations Manager", "IT Manager", "Sales Manager", "Project Manager"),
    ("Analyst", "Engineer", "Specialist", "Coordinator", "Consultant"),
)
# engagement count ~ Poisson(exp(a + b * interest)), columns in schema order
ENGAGEMENT = {
    "email_opens": (1.4, 0.45),
    "email_clicks": (-0.1, 0.7),
    "page_views": (1.9, 0.55),
    "form_fills": (-0.9, 0.6),
    "demo_requests": (-2.3, 1.0),
}
CONVERSION_LAG_MEDIAN = 9.0  # days from lead to opportunity
OPEN_LEAD_DAYS = 45  # unconverted leads younger than this are still open/working
DUPLICATE_LEAD_SHARE = 0.02
MISSING_LEAD_INDUSTRY = 0.04
LEAD_ACCOUNT_MATCH = 0.55  # share of unconverted leads matched to an account

# Opportunities
OPPS_PER_AE_MONTH = np.array([23.0, 12.0, 5.0])  # new deals a fully ramped AE works per month, by segment
DEAL_SIZE_MEAN = np.array([8_000.0, 35_000.0, 150_000.0])
DEAL_SIZE_SIGMA = 0.6
CYCLE_MEDIAN = np.array([30.0, 60.0, 120.0])  # days from creation to a win, by segment
CYCLE_SIGMA = 0.45
STAGE_SHARE = np.array([0.15, 0.20, 0.25, 0.20, 0.20])  # share of the cycle spent in each open stage
GATE_LOGIT = np.array([1.10, 1.39, 1.10, 1.39, 1.73])  # pass qualify, discover, demo, proposal, negotiate
SEGMENT_GATE_OFFSET = np.array([-0.03, -0.46, -0.58])
ICP_WIN = 0.35  # gate logit per point of ICP fit
INTENSITY_SIGMA = 0.35  # s.d. of log activity intensity per deal
INTENSITY_WIN = 0.5  # gate logit per unit of log intensity
LEAD_INTEREST_WIN = 0.15
MONTH_SEASONALITY = np.array([0.92, 0.97, 1.04, 1.00, 1.02, 1.00, 0.82, 0.78, 1.05, 1.08, 1.12, 1.00])
SUMMER_SLIP = 0.25  # won deals due in Jul/Aug that slip into September
DECEMBER_PULL = 0.35  # won deals due in Oct/Nov that land in December instead
QUARTER_END_PUSH = 0.50  # won deals due 2-6 weeks before quarter end that close in its last two weeks
LOST_CLEANUP = 0.25  # lost deals due in the last month closed out in the quarter's final week
CLOSE_ON_DEPARTURE = 0.35  # running deals of a leaving AE closed lost (the rest are reassigned)
STALE_SHARE = 0.10  # share of open deals whose expected close date has passed
NO_ACTIVITY_SHARE = 0.04  # deals whose activities were never logged
OPEN_CATEGORY_MIX = np.array([  # pipeline, best_case, commit by current stage
    [0.90, 0.10, 0.00],
    [0.70, 0.25, 0.05],
    [0.45, 0.40, 0.15],
    [0.20, 0.45, 0.35],
    [0.05, 0.30, 0.65],
])

# Products and orders
PRODUCTS = (  # product, family, kind, unit_price, unit_cost, lead_time_days
    ("Platform", "Software", "subscription", 12_000.0, 1_800.0, None),
    ("Analytics", "Software", "subscription", 6_000.0, 900.0, None),
    ("Integrations", "Software", "subscription", 3_000.0, 450.0, None),
    ("Onboarding Services", "Services", "service", 5_000.0, 3_000.0, None),
    ("Premium Support", "Services", "service", 4_000.0, 2_200.0, None),
    ("Edge Gateway", "Hardware", "hardware", 1_200.0, 700.0, 45),
)
PRODUCT_MIX = np.array([0.45, 0.18, 0.08, 0.08, 0.06, 0.15])
PRODUCT_SIZE = np.array([1.15, 0.85, 0.6, 0.7, 0.65, 1.0])  # deal-size multiplier
ORDERS_PER_MONTH_AT_END = 80  # hardware order lines per month at scale 1
UNITS_PER_ORDER = 8.0
ORDER_DISCOUNTS = np.array([0.0, 0.05, 0.10, 0.15])

# Activities: mean count per stage reached (rows) and type (columns, schema.ACTIVITY_TYPES order)
ACTIVITY_RATE = np.array([
    # email call meeting demo proposal
    [2.0, 1.5, 0.3, 0.0, 0.0],  # qualify
    [1.5, 1.0, 1.0, 0.1, 0.0],  # discover
    [1.0, 0.5, 0.5, 1.3, 0.0],  # demo
    [1.5, 0.8, 0.5, 0.2, 1.1],  # proposal
    [2.0, 1.5, 0.8, 0.0, 0.3],  # negotiate
])
SEGMENT_ACTIVITY = np.array([0.8, 1.0, 1.6])
DURATION_MEDIAN = np.array([5.0, 15.0, 45.0, 60.0, 90.0])  # minutes, by activity type
SDR_TOUCHES_PER_DAY = 10.0  # prospecting e-mails and calls per SDR working day

# Forecast submissions
OPTIMISTIC_SHARE = 0.15
PESSIMISTIC_SHARE = 0.07

# Planted account defects
DUPLICATE_ACCOUNT_SHARE = 0.02
MISSING_ACCOUNT_INDUSTRY = 0.05

FIRST_NAMES = (
    "Dana", "Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Robin",
    "Maria", "Lena", "Sofia", "Amir", "Yuki", "Chen", "Priya", "Ravi", "Omar", "Fatima", "Lucas", "Mateo",
    "Elena", "Ivan", "Olga", "Hana", "Kenji", "Aisha", "Noah", "Emma", "Liam", "Olivia", "Mia", "Leo",
    "Nora", "Ines", "Diego", "Carla", "Tomas", "Eva", "Jonas", "Anna", "Felix", "Clara", "Hugo", "Zoe",
    "Arjun", "Mei", "Sara", "David", "Grace", "Henry", "Isla", "Jack", "Kira", "Luis", "Marta", "Nils",
)
LAST_NAMES = (
    "Smith", "Garcia", "Müller", "Rossi", "Silva", "Kim", "Tanaka", "Patel", "Nguyen", "Cohen", "Novak",
    "Larsen", "Dubois", "Kowalski", "Santos", "Chen", "Singh", "Brown", "Wilson", "Martin", "Lopez",
    "Schmidt", "Ivanova", "Haddad", "Okafor", "Mensah", "Andersson", "Fischer", "Moreau", "Costa", "Yamada",
    "Park", "Reyes", "Khan", "Ali", "Jensen", "Berg", "Weber", "Lambert", "Romero", "Ortiz", "Hughes",
    "Walsh", "Murphy", "Kelly", "Byrne", "Sato", "Wang", "Li", "Zhang", "Gupta", "Rao", "Mendes", "Ferreira",
    "Vargas", "Castro", "Nowak", "Horvat", "Popescu", "Dimitrov",
)
NAME_PREFIXES = (
    "Acme", "Apex", "Blue", "Bright", "Cedar", "Clear", "Core", "Crest", "Delta", "Echo", "Ever", "First",
    "Fusion", "Glob", "Granite", "Green", "Harbor", "High", "Iron", "Key", "Lake", "Lumen", "Maple",
    "Meridian", "North", "Nova", "Oak", "Omni", "Orbit", "Pacific", "Peak", "Pine", "Prime", "Quantum", "Red",
    "River", "Sage", "Silver", "Sky", "Solar", "Spark", "Star", "Stone", "Summit", "True", "Union", "Vector",
    "Vista", "West", "Zen",
)
NAME_STEMS = ("", "bridge", "field", "point", "line", "works", "stream", "gate", "wave", "view", "path",
              "ford", "side", "crest", "tech", "ware", "logic", "sys", "net", "way")
INDUSTRY_NAME_SUFFIXES = (
    ("Software", "Labs", "Systems", "Digital", "Cloud"),
    ("Capital", "Financial", "Bank", "Partners", "Insurance"),
    ("Logistics", "Freight", "Shipping", "Transport", "Supply"),
    ("Industries", "Manufacturing", "Fabrication", "Components", "Machinery"),
    ("Health", "Medical", "Clinics", "Care", "Pharma"),
    ("Retail", "Stores", "Market", "Outfitters", "Goods"),
    ("Academy", "Learning", "University", "Schools", "Education"),
    ("County", "City Services", "Authority", "Agency", "Public Works"),
)
NAME_TIERS = ("", " Group", " Holdings", " International", " Global", " Solutions")
DUPLICATE_NAME_SUFFIXES = (" Inc.", ", Inc", " Ltd", " LLC", " GmbH")


# --------------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------------


def generate_sample(
    end_date: str | pd.Timestamp, scale: float = 1.0, seed: int = 42, history_years: int = 3
) -> dict[str, pd.DataFrame]:
    """Generate the sample company's eight canonical tables.

    ``end_date`` is the last day of history (e.g. the day before the quarter being planned). ``scale`` 1
    gives about 60 AEs at ``end_date`` (and about 20k opportunities over three years); every count grows
    linearly with it. Returns ``{table name: DataFrame}`` in ``schema.TABLES`` order, with the canonical
    columns and dtypes; money is in the company currency, durations in minutes.
    """
    if not scale > 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if int(history_years) != history_years or history_years < 1:
        raise ValueError(f"history_years must be a whole number of years >= 1, got {history_years!r}")
    end = pd.Timestamp(end_date).normalize()
    start = end - pd.DateOffset(years=int(history_years)) + pd.Timedelta(days=1)
    rng = np.random.default_rng(seed)
    clock = _Clock(start, end)

    reps = _simulate_reps(rng, clock, scale)
    ramp = _ramp_matrix(clock, reps)
    weight = ramp * np.exp(SKILL_VOLUME * reps["skill"])[:, None]
    accounts = _make_accounts(rng, clock, scale)
    demand = _monthly_demand(clock, reps, weight)
    leads = _make_leads(rng, clock, reps, accounts, demand * LEAD_SOURCED_SHARE / LEAD_CONVERSION)
    opps = _make_opportunities(rng, clock, reps, ramp, weight, accounts, leads,
                               demand * (1.0 - LEAD_SOURCED_SHARE))
    _handle_departures(rng, clock, reps, opps)
    activities = _make_activities(rng, clock, reps, opps)
    submissions = _make_forecast_submissions(rng, clock, reps, opps)
    orders = _make_orders(rng, clock, scale)
    account_rows = _finish_accounts(rng, clock, reps, accounts, leads, opps)

    rep_ids = _ids("R", len(reps["role"]), 4)
    account_ids = _ids("A", len(account_rows), 6)
    frames = {
        "reps": _reps_frame(reps, rep_ids),
        "accounts": _accounts_frame(accounts, account_rows, rep_ids, account_ids),
    }
    lead_ids, frames["leads"] = _leads_frame(rng, clock, leads, accounts, rep_ids, account_ids)
    opp_ids, frames["opportunities"] = _opportunities_frame(rng, opps, accounts, rep_ids, account_ids, lead_ids)
    frames["activities"] = _activities_frame(activities, rep_ids, opp_ids)
    frames["products"] = _products_frame(orders)
    frames["orders"] = _orders_frame(orders)
    frames["forecast_submissions"] = _submissions_frame(submissions, rep_ids)
    return {name: frames[name] for name in schema.TABLES}


def write_sample(
    folder: Path, end_date: str | pd.Timestamp, scale: float = 1.0, seed: int = 42, history_years: int = 3
) -> list[Path]:
    """Generate the sample company and write one Parquet file per table, ``<folder>/<table>.parquet``.

    The bytes are deterministic for the same arguments (and the same pyarrow version). Returns the paths
    written, in ``schema.TABLES`` order.
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


# --------------------------------------------------------------------------------------------------------
# Calendar helpers. Internally a date is an int64 day number (days since 1970-01-01).
# --------------------------------------------------------------------------------------------------------


def _day_number(ts: pd.Timestamp) -> int:
    return int(np.datetime64(ts.strftime("%Y-%m-%d"), "D").astype(np.int64))


def _month_of(days: np.ndarray) -> np.ndarray:
    """Month number (months since 1970-01) of each day number."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _first_day(months: np.ndarray) -> np.ndarray:
    """Day number of the first day of each month number."""
    return np.asarray(months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _weekday(days: np.ndarray) -> np.ndarray:
    """0 = Monday ... 6 = Sunday."""
    return (np.asarray(days) + 3) % 7


def _to_weekday(days: np.ndarray, last: int) -> np.ndarray:
    """Move Saturdays to Friday and Sundays to Monday (or Friday when Monday is after ``last``)."""
    wd = _weekday(days)
    out = np.where(wd == 5, days - 1, np.where(wd == 6, days + 1, days))
    return np.where(out > last, out - 3, out)


class _Clock:
    """The simulated months: warm-up plus history, the last month cut at ``end``."""

    def __init__(self, start: pd.Timestamp, end: pd.Timestamp):
        self.start = _day_number(start)
        self.end = _day_number(end)
        first_month = _month_of(np.array([self.start]))[0] - WARM_UP_MONTHS
        months = np.arange(first_month, _month_of(np.array([self.end]))[0] + 1)
        self.month_start = _first_day(months)
        self.month_last = np.minimum(_first_day(months + 1) - 1, self.end)
        self.month_days = self.month_last - self.month_start + 1
        self.full_month_days = _first_day(months + 1) - self.month_start
        self.month_of_year = months % 12 + 1
        self.n_months = len(months)

    def month_index(self, days: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.month_start, days, side="right") - 1


# --------------------------------------------------------------------------------------------------------
# Small generic helpers
# --------------------------------------------------------------------------------------------------------


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + 1..n zero-padded to ``width`` digits (wider when needed), as an object array of str."""
    width = max(width, len(str(n)))
    size = len(prefix) + width
    out = np.empty(n, dtype=object)
    chunk = 500_000
    for lo in range(0, n, chunk):  # in chunks, to bound the temporary byte arrays
        nums = np.arange(lo + 1, min(n, lo + chunk) + 1, dtype=np.int64)
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


def _pick_weighted(rng, event_keys, cand_keys, cand_weights) -> np.ndarray:
    """For each event, a candidate with the same key drawn with probability ∝ weight; -1 when there is none."""
    n = len(event_keys)
    u = rng.random(n)
    if len(cand_keys) == 0 or n == 0:
        return np.full(n, -1, dtype=np.int64)
    order = np.argsort(cand_keys, kind="stable")
    keys = cand_keys[order]
    cum = np.cumsum(cand_weights[order])
    lo = np.searchsorted(keys, event_keys, side="left")
    hi = np.searchsorted(keys, event_keys, side="right")
    base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
    total = np.where(hi > 0, cum[np.maximum(hi - 1, 0)], 0.0) - base
    ok = (hi > lo) & (total > 0)
    pos = np.searchsorted(cum, base + u * total, side="right")
    pos = np.clip(pos, lo, np.maximum(hi - 1, lo))
    return np.where(ok, order[np.minimum(pos, len(order) - 1)], -1)


def _person_names(rng, n: int) -> np.ndarray:
    combos = len(FIRST_NAMES) * len(LAST_NAMES)
    pick = rng.choice(combos, n, replace=n > combos)
    first = np.array(FIRST_NAMES, dtype=object)[pick // len(LAST_NAMES)]
    last = np.array(LAST_NAMES, dtype=object)[pick % len(LAST_NAMES)]
    return first + " " + last


def _draw(rng, options, probabilities, n) -> np.ndarray:
    return rng.choice(len(options), n, p=np.asarray(probabilities) / np.sum(probabilities))


def _size_fit(employees: np.ndarray) -> np.ndarray:
    """ICP fit of company size: mid-sized companies fit best, very small ones worst."""
    return np.select([employees < 50, employees < 200, employees < 2000], [-0.4, 0.1, 0.35], 0.0)


# --------------------------------------------------------------------------------------------------------
# Reps
# --------------------------------------------------------------------------------------------------------


def _hire_cells(rng, n_hire: int, counts: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Cells (segment x region, or region) for new hires: each goes where the team is most under its share."""
    counts = counts.astype(float).copy()
    cells = np.empty(n_hire, dtype=np.int64)
    for i in range(n_hire):  # one step per hire
        deficit = shares * (counts.sum() + 1) - counts + 0.05 * rng.random(len(shares))
        cells[i] = np.argmax(deficit)
        counts[cells[i]] += 1
    return cells


def _simulate_reps(rng, clock: _Clock, scale: float) -> dict[str, np.ndarray]:
    """Hire and lose people month by month so each role grows ~30 %/year to its end-date headcount."""
    parts = []
    years_before_end = (clock.end - clock.month_last) / 365.25
    for role_index, role in enumerate(schema.ROLES):
        n_end = max(MIN_HEADCOUNT[role], int(round(HEADCOUNT_AT_END[role] * scale)))
        target = np.maximum(MIN_HEADCOUNT[role], np.round(n_end * TEAM_GROWTH ** -years_before_end)).astype(int)
        target[-1] = n_end
        p_leave = 1.0 - (1.0 - ANNUAL_ATTRITION[role]) ** (1.0 / 12.0)
        # AEs are placed in segment x region cells, everyone else in a region
        shares = np.outer(AE_SEGMENT_SHARE, REGION_SHARE).ravel() if role == "AE" else REGION_SHARE
        n_regions = len(REGIONS)

        n0 = target[0]
        hire = clock.month_start[0] - rng.integers(30, 5 * 365, n0)
        leave = np.full(n0, NO_END)
        cell = _hire_cells(rng, n0, np.zeros(len(shares)), shares)
        for m in range(clock.n_months):
            ms, ml = clock.month_start[m], clock.month_last[m]
            last_leave = min(ml, clock.end - 1)
            if last_leave >= ms:
                eligible = (leave == NO_END) & (hire <= ms - MIN_TENURE_BEFORE_LEAVING)
                leavers = eligible & (rng.random(len(hire)) < p_leave)
                leave[leavers] = ms + rng.integers(0, last_leave - ms + 1, leavers.sum())
            staff = leave == NO_END
            n_hire = int(max(0, target[m] - staff.sum()))
            if n_hire == 0:
                continue
            counts = np.bincount(cell[staff], minlength=len(shares))
            cell = np.concatenate([cell, _hire_cells(rng, n_hire, counts, shares)])
            hire = np.concatenate([hire, ms + rng.integers(0, ml - ms + 1, n_hire)])
            leave = np.concatenate([leave, np.full(n_hire, NO_END)])
        segment = cell // n_regions if role == "AE" else np.full(len(cell), -1)
        parts.append((np.full(len(hire), role_index), hire, leave, segment, cell % n_regions))

    role, hire, leave, segment, region = (np.concatenate(column) for column in zip(*parts))
    order = np.lexsort((role, hire))
    reps = {"role": role[order], "hire": hire[order], "leave": leave[order], "segment": segment[order],
            "region": region[order]}
    n = len(order)
    reps["skill"] = rng.standard_normal(n)
    reps["name"] = _person_names(rng, n)
    reps["manager"] = _assign_managers(rng, reps)
    is_ae = reps["role"] == schema.ROLES.index("AE")
    seg = np.maximum(reps["segment"], 0)
    reps["quota"] = np.where(is_ae, QUOTA[seg], np.nan)
    other_ote = np.array([OTE_OTHER.get(r, 0.0) for r in schema.ROLES])[reps["role"]]
    reps["ote"] = np.round(np.where(is_ae, OTE_AE[seg], other_ote) * rng.uniform(0.93, 1.07, n), -3)
    bias = rng.normal(0.95, 0.07, n)
    kind = rng.random(n)
    bias = np.where(kind < OPTIMISTIC_SHARE, rng.uniform(1.3, 1.6, n), bias)
    bias = np.where((kind >= OPTIMISTIC_SHARE) & (kind < OPTIMISTIC_SHARE + PESSIMISTIC_SHARE),
                    rng.uniform(0.6, 0.8, n), bias)
    reps["forecast_bias"] = bias
    return reps


def _assign_managers(rng, reps) -> np.ndarray:
    """AEs and SDRs report to a manager of their region hired before them (any manager as a fallback)."""
    manager_role = schema.ROLES.index("MANAGER")
    managed = np.isin(reps["role"], [schema.ROLES.index("AE"), schema.ROLES.index("SDR")])
    managers = np.flatnonzero(reps["role"] == manager_role)
    out = np.full(len(reps["role"]), -1, dtype=np.int64)
    for i in np.flatnonzero(managed):  # one small step per person
        cands = managers[(reps["hire"][managers] <= reps["hire"][i]) & (reps["region"][managers] == reps["region"][i])]
        if len(cands) == 0:
            cands = managers[reps["hire"][managers] <= reps["hire"][i]]
        if len(cands) == 0:
            cands = managers
        out[i] = cands[rng.integers(len(cands))]
    return out


def _ramp_matrix(clock: _Clock, reps) -> np.ndarray:
    """(reps x months) productivity of each AE working the whole month: 0..1 during ramp, 0 when absent."""
    is_ae = reps["role"] == schema.ROLES.index("AE")
    ms = clock.month_start[None, :]
    active = is_ae[:, None] & (reps["hire"][:, None] <= ms) & (reps["leave"][:, None] >= clock.month_last[None, :])
    months_in = (ms - reps["hire"][:, None]) / 30.44 + 0.5
    ramp_months = RAMP_MONTHS[np.maximum(reps["segment"], 0)][:, None]
    return np.where(active, np.clip(months_in / ramp_months, 0.05, 1.0), 0.0)


def _monthly_demand(clock: _Clock, reps, weight: np.ndarray) -> np.ndarray:
    """(months x 12 segment-region groups) expected new deals: AE capacity x rate x seasonality."""
    demand = np.zeros((clock.n_months, len(SEGMENTS) * len(REGIONS)))
    group = reps["segment"] * len(REGIONS) + reps["region"]
    for g in range(demand.shape[1]):  # one step per group
        demand[:, g] = weight[group == g].sum(axis=0) * OPPS_PER_AE_MONTH[g // len(REGIONS)]
    season = MONTH_SEASONALITY[clock.month_of_year - 1] * clock.month_days / clock.full_month_days
    return demand * season[:, None]


# --------------------------------------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------------------------------------


def _company_names(rng, industry: np.ndarray) -> np.ndarray:
    """Unique, industry-flavoured company names (e.g. "Bluebridge Logistics Group")."""
    names = np.empty(len(industry), dtype=object)
    n_base = len(NAME_PREFIXES) * len(NAME_STEMS)
    for k, suffixes in enumerate(INDUSTRY_NAME_SUFFIXES):  # one step per industry
        rows = np.flatnonzero(industry == k)
        total = n_base * len(suffixes) * len(NAME_TIERS)
        pick = rng.permutation(max(total, len(rows)))[: len(rows)]
        combo, repeat = pick % total, pick // total
        base = combo % n_base
        prefix = np.array(NAME_PREFIXES, dtype=object)[base // len(NAME_STEMS)]
        stem = np.array(NAME_STEMS, dtype=object)[base % len(NAME_STEMS)]
        suffix = np.array(suffixes, dtype=object)[(combo // n_base) % len(suffixes)]
        tier = np.array(NAME_TIERS, dtype=object)[combo // (n_base * len(suffixes))]
        number = np.where(repeat > 0, " " + (repeat + 1).astype(str).astype(object), "")
        names[rows] = prefix + stem + " " + suffix + tier + number
    return names


def _make_accounts(rng, clock: _Clock, scale: float) -> dict[str, np.ndarray]:
    """The company universe leads and deals are drawn from (segment implied by employees)."""
    n = max(200, int(round(ACCOUNTS_AT_SCALE_1 * scale)))
    segment = _draw(rng, SEGMENTS, ACCOUNT_SEGMENT_SHARE, n)
    region = _draw(rng, REGIONS, REGION_SHARE, n)
    for g in range(len(SEGMENTS) * len(REGIONS)):  # make sure every segment-region group has accounts
        if not np.any(segment * len(REGIONS) + region == g):
            rows = np.flatnonzero(segment == g // len(REGIONS))
            region[rows[rng.integers(len(rows), size=2)]] = g % len(REGIONS)
    industry = _draw(rng, INDUSTRIES, INDUSTRY_SHARE, n)
    lo = np.array([r[0] for r in EMPLOYEE_RANGE])[segment]
    hi = np.array([r[1] for r in EMPLOYEE_RANGE])[segment]
    employees = np.clip(np.exp(rng.uniform(np.log(lo), np.log(hi + 1))).astype(np.int64), lo, hi)
    revenue = np.round(employees * REVENUE_PER_EMPLOYEE[industry] * rng.lognormal(0.0, 0.35, n), -3)
    country = np.empty(n, dtype=object)
    for r, name in enumerate(REGIONS):
        rows = np.flatnonzero(region == r)
        codes, shares = COUNTRIES[name]
        country[rows] = np.array(codes, dtype=object)[_draw(rng, codes, shares, len(rows))]
    accounts = {
        "segment": segment, "region": region, "industry": industry, "employees": employees,
        "revenue": revenue, "country": country, "name": _company_names(rng, industry),
        "fit": INDUSTRY_FIT[industry] + _size_fit(employees),
        "random_created": rng.integers(clock.start - 730, clock.end + 1, n),
    }
    group = segment * len(REGIONS) + region
    accounts["by_group"] = np.argsort(group, kind="stable")
    accounts["group_start"] = np.searchsorted(group[accounts["by_group"]], np.arange(12), side="left")
    accounts["group_count"] = np.bincount(group, minlength=12)
    return accounts


def _sample_accounts(rng, accounts, group: np.ndarray) -> np.ndarray:
    """A uniformly random account of each requested segment-region group."""
    offset = np.floor(rng.random(len(group)) * accounts["group_count"][group]).astype(np.int64)
    return accounts["by_group"][accounts["group_start"][group] + offset]


# --------------------------------------------------------------------------------------------------------
# Leads
# --------------------------------------------------------------------------------------------------------


def _make_leads(rng, clock: _Clock, reps, accounts, expected: np.ndarray) -> dict[str, np.ndarray]:
    """Leads per month and group; conversion is logistic in ICP fit, seniority, source and interest."""
    counts = rng.poisson(expected)
    month, group = np.nonzero(counts >= 0)
    month, group = np.repeat(month, counts.ravel()), np.repeat(group, counts.ravel())
    n = len(month)
    created = clock.month_start[month] + np.floor(rng.random(n) * clock.month_days[month]).astype(np.int64)
    account = _sample_accounts(rng, accounts, group)
    source = _draw(rng, SOURCES, SOURCE_SHARE, n)
    seniority = _draw(rng, TITLES, SENIORITY_SHARE, n)
    interest = rng.standard_normal(n)
    engagement = {col: rng.poisson(np.exp(a + b * interest)) for col, (a, b) in ENGAGEMENT.items()}
    logit = (LEAD_CONVERSION_INTERCEPT + LEAD_INTEREST_CONVERSION * interest
             + LEAD_ICP_CONVERSION * accounts["fit"][account] + SENIORITY_EFFECT[seniority] + SOURCE_EFFECT[source])
    will_convert = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    lag = np.clip(np.round(rng.lognormal(np.log(CONVERSION_LAG_MEDIAN), 0.7, n)), 1, 120).astype(np.int64)
    convert_day = created + lag
    converted = will_convert & (convert_day <= clock.end)

    sdr = np.flatnonzero(reps["role"] == schema.ROLES.index("SDR"))
    owner = np.full(n, -1, dtype=np.int64)
    for m in range(clock.n_months):  # one step per month: SDRs employed that month own its leads
        rows = np.flatnonzero(month == m)
        ms, ml = clock.month_start[m], clock.month_last[m]
        cands = sdr[(reps["hire"][sdr] <= ms) & (reps["leave"][sdr] >= ml)]
        pick = _pick_weighted(rng, accounts["region"][account[rows]], reps["region"][cands], np.ones(len(cands)))
        fallback = _pick_weighted(rng, np.zeros(len(rows), np.int64), np.zeros(len(cands), np.int64),
                                  np.ones(len(cands)))
        pick = np.where(pick >= 0, pick, fallback)
        if len(cands):
            owner[rows] = np.where(pick >= 0, cands[np.maximum(pick, 0)], -1)
    n_titles = np.array([len(t) for t in TITLES])
    title_choice = np.floor(rng.random(n) * n_titles[seniority]).astype(np.int64)
    title_table = np.array([list(t) + [None] * (n_titles.max() - len(t)) for t in TITLES], dtype=object)
    employees = np.maximum(1, np.round(accounts["employees"][account] * rng.lognormal(0, 0.1, n))).astype(np.int64)
    return {
        "created": created, "account": account, "source": source, "seniority": seniority,
        "title": title_table[seniority, title_choice], "interest": interest, **engagement,
        "will_convert": will_convert, "convert_day": convert_day, "converted": converted, "owner": owner,
        "employees": employees, "show_account": converted | (rng.random(n) < LEAD_ACCOUNT_MATCH),
        "first": rng.integers(len(FIRST_NAMES), size=n), "last": rng.integers(len(LAST_NAMES), size=n),
    }


# --------------------------------------------------------------------------------------------------------
# Opportunities
# --------------------------------------------------------------------------------------------------------


def _assign_reps(rng, clock: _Clock, reps, weight, day, segment, region) -> np.ndarray:
    """The AE of each new deal: same segment and region (then segment, then anyone), ∝ ramp x volume."""
    month = clock.month_index(day)
    owner = np.full(len(day), -1, dtype=np.int64)
    for m in range(clock.n_months):  # one step per month
        rows = np.flatnonzero(month == m)
        cands = np.flatnonzero(weight[:, m] > 0)
        w = weight[cands, m]
        pick = _pick_weighted(rng, segment[rows] * 4 + region[rows], reps["segment"][cands] * 4
                              + reps["region"][cands], w)
        pick = np.where(pick >= 0, pick, _pick_weighted(rng, segment[rows], reps["segment"][cands], w))
        pick = np.where(pick >= 0, pick, _pick_weighted(rng, np.zeros(len(rows), np.int64),
                                                        np.zeros(len(cands), np.int64), w))
        if np.any(pick < 0):
            raise RuntimeError("no account executive employed in a simulated month")
        owner[rows] = cands[pick]
    return owner


def _make_opportunities(rng, clock, reps, ramp, weight, accounts, leads, self_sourced) -> dict[str, np.ndarray]:
    """Deals from converted leads plus self-sourced ones; their path through the stages and close dates."""
    from_lead = np.flatnonzero(leads["converted"])
    counts = rng.poisson(self_sourced)
    month, group = np.nonzero(counts >= 0)
    month, group = np.repeat(month, counts.ravel()), np.repeat(group, counts.ravel())
    own_day = clock.month_start[month] + np.floor(rng.random(len(month)) * clock.month_days[month]).astype(np.int64)
    own_day = np.clip(_to_weekday(own_day, clock.end), clock.month_start[month], clock.month_last[month])
    created = np.concatenate([leads["convert_day"][from_lead], own_day])
    account = np.concatenate([leads["account"][from_lead], _sample_accounts(rng, accounts, group)])
    lead = np.concatenate([from_lead, np.full(len(own_day), -1)])
    interest = np.concatenate([leads["interest"][from_lead], np.zeros(len(own_day))])
    n = len(created)
    segment, region = accounts["segment"][account], accounts["region"][account]
    rep = _assign_reps(rng, clock, reps, weight, created, segment, region)
    rep_ramp = ramp[rep, clock.month_index(created)]
    skill = reps["skill"][rep]

    # amount and planned cycle
    product = _draw(rng, PRODUCTS, PRODUCT_MIX, n)
    sigma = DEAL_SIZE_SIGMA
    amount = DEAL_SIZE_MEAN[segment] * PRODUCT_SIZE[product] * np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)
    amount = np.maximum(500.0, np.round(amount * np.exp(0.05 * skill), -2))
    size_effect = 0.25 * (np.log(amount) - np.log(DEAL_SIZE_MEAN[segment]))
    cycle = np.maximum(5.0, CYCLE_MEDIAN[segment] * np.exp(size_effect + CYCLE_SIGMA * rng.standard_normal(n)))
    share = rng.gamma(STAGE_SHARE * 15.0, size=(n, 5))
    duration = np.maximum(1, np.round(cycle[:, None] * share / share.sum(axis=1, keepdims=True))).astype(np.int64)
    stage_start = np.cumsum(duration, axis=1) - duration

    # stage gates
    intensity = rng.lognormal(0.0, INTENSITY_SIGMA, n)
    shift = (SKILL_CONVERSION * skill + ICP_WIN * accounts["fit"][account] + INTENSITY_WIN * np.log(intensity)
             - RAMP_WIN_PENALTY * (1.0 - rep_ramp) + LEAD_INTEREST_WIN * interest)
    logit = GATE_LOGIT[None, :] + SEGMENT_GATE_OFFSET[segment][:, None] + shift[:, None]
    passed = rng.random((n, 5)) < 1.0 / (1.0 + np.exp(-logit))
    n_passed = np.cumprod(passed, axis=1).sum(axis=1)
    won = n_passed == 5
    max_stage = np.minimum(n_passed, 4)
    rows = np.arange(n)
    lost_offset = stage_start[rows, max_stage] + np.maximum(
        1, np.round(rng.uniform(0.3, 1.0, n) * duration[rows, max_stage])).astype(np.int64)
    close = created + np.where(won, duration.sum(axis=1), lost_offset)
    close = _seasonal_close(rng, close, won)

    opps = {
        "created": created, "account": account, "lead": lead, "segment": segment, "rep": rep,
        "first_rep": rep.copy(), "handoff": np.full(n, NO_END), "product": product, "amount": amount,
        "cycle": cycle, "duration": duration, "stage_start": stage_start, "intensity": intensity,
        "won": won, "max_stage": max_stage, "natural_close": close.copy(),
    }
    _open_and_stale(rng, clock, opps)
    return opps


def _seasonal_close(rng, close: np.ndarray, won: np.ndarray) -> np.ndarray:
    """Move close dates later: summer slips, the December rush, the end-of-quarter push, lost-deal clean-up."""
    n = len(close)
    month = _month_of(close)
    moy = month % 12 + 1
    january = month - (moy - 1)
    summer = won & ((moy == 7) | (moy == 8)) & (rng.random(n) < SUMMER_SLIP)
    close = np.where(summer, _first_day(january + 8) + rng.integers(0, 20, n), close)
    autumn = won & ((moy == 10) | (moy == 11)) & (rng.random(n) < DECEMBER_PULL)
    close = np.where(autumn, _first_day(january + 11) + rng.integers(4, 31, n), close)
    quarter_end = _first_day((_month_of(close) // 3 + 1) * 3) - 1
    to_go = quarter_end - close
    push = won & (to_go >= 14) & (to_go <= 41) & (rng.random(n) < QUARTER_END_PUSH)
    close = np.where(push, quarter_end - rng.integers(0, 14, n), close)
    cleanup = ~won & (to_go >= 7) & (to_go <= 30) & (rng.random(n) < LOST_CLEANUP)
    return np.where(cleanup, quarter_end - rng.integers(0, 7, n), close)


def _stage_at(opps, day: np.ndarray) -> np.ndarray:
    """Index of the open stage each deal was in on ``day`` (capped at the furthest stage it reaches)."""
    reached = (opps["created"][:, None] + opps["stage_start"] <= day[:, None]).sum(axis=1) - 1
    return np.clip(reached, 0, opps["max_stage"])


def _open_and_stale(rng, clock: _Clock, opps) -> None:
    """Deals running on the end date are open with an expected close date; plant stale open deals."""
    n = len(opps["created"])
    end = clock.end
    is_open = opps["natural_close"] > end
    planned = opps["created"] + opps["duration"].sum(axis=1)
    noise = np.round(rng.normal(0.0, 0.1, n) * opps["cycle"]).astype(np.int64)
    expected = np.where(opps["won"], opps["natural_close"], planned) + noise
    expected = np.where(expected <= end, end + rng.integers(5, 46, n), expected)

    candidates = np.flatnonzero(~is_open & ~opps["won"] & (opps["natural_close"] >= end - 270)
                                & (opps["created"] >= end - 400))
    n_stale = min(len(candidates), int(round(STALE_SHARE / (1 - STALE_SHARE) * is_open.sum())))
    stale = np.zeros(n, dtype=bool)
    stale[rng.choice(candidates, n_stale, replace=False)] = True
    gap = np.maximum(1, end - opps["natural_close"])
    stale_expected = np.where(planned < end, planned, opps["natural_close"] + np.floor(rng.random(n) * gap))
    expected = np.where(stale, np.minimum(stale_expected, end - 1).astype(np.int64), expected)

    is_open |= stale
    stage = np.where(opps["won"], 5, 6)
    stage = np.where(is_open, _stage_at(opps, np.full(n, end)), stage)
    opps.update(
        is_open=is_open, stale=stale, stage=stage,
        close=np.where(is_open, expected, opps["natural_close"]),
        alive_until=np.where(is_open, end, opps["natural_close"]),
        activity_end=np.where(is_open & ~stale, end, opps["natural_close"]),
    )
    opps["max_stage"] = np.where(is_open, stage, opps["max_stage"])


def _handle_departures(rng, clock: _Clock, reps, opps) -> None:
    """A leaving AE's running deals are closed lost that day or handed to a colleague of the segment."""
    ae = reps["role"] == schema.ROLES.index("AE")
    leavers = np.flatnonzero(ae & (reps["leave"] < NO_END))
    leavers = leavers[np.argsort(reps["leave"][leavers], kind="stable")]
    for r in leavers:  # one step per leaving AE, in the order they leave
        day = reps["leave"][r]
        rows = np.flatnonzero((opps["rep"] == r) & (opps["alive_until"] > day))
        if len(rows) == 0:
            continue
        cands = np.flatnonzero(ae & (reps["hire"] <= day) & (reps["leave"] > day)
                               & (reps["segment"] == reps["segment"][r]))
        same_region = cands[reps["region"][cands] == reps["region"][r]]
        cands = same_region if len(same_region) else cands
        close_now = rng.random(len(rows)) < CLOSE_ON_DEPARTURE
        new_owner = rng.integers(0, max(1, len(cands)), len(rows))
        if len(cands) == 0:
            close_now[:] = True
        moved = rows[~close_now]
        first = moved[opps["handoff"][moved] == NO_END]
        opps["handoff"][first] = day
        if len(moved):
            opps["rep"][moved] = cands[new_owner[~close_now]]
        shut = rows[close_now]
        stage_then = _stage_at({k: opps[k][shut] for k in ("created", "stage_start", "max_stage")},
                               np.full(len(shut), day))
        opps["max_stage"][shut] = stage_then
        opps["won"][shut] = False
        opps["is_open"][shut] = False
        opps["stale"][shut] = False
        opps["stage"][shut] = 6
        opps["close"][shut] = day
        opps["alive_until"][shut] = day
        opps["activity_end"][shut] = np.minimum(opps["activity_end"][shut], day)


# --------------------------------------------------------------------------------------------------------
# Activities
# --------------------------------------------------------------------------------------------------------


def _make_activities(rng, clock: _Clock, reps, opps) -> dict[str, np.ndarray]:
    """Activities stage by stage for deals in the window, then SDR prospecting without a deal."""
    keep = opps["is_open"] | (opps["close"] >= clock.start)
    opps["keep"] = keep
    idx = np.flatnonzero(keep)
    created = opps["created"][idx]
    act_end = opps["activity_end"][idx]
    reached = np.minimum(opps["max_stage"][idx], _stage_at({k: opps[k][idx] for k in
                         ("created", "stage_start", "max_stage")}, act_end))
    skill = reps["skill"][opps["first_rep"][idx]]
    mix = np.stack([np.exp(SKILL_EMAIL_MIX * skill), np.ones_like(skill), np.exp(SKILL_DEMO_MIX * skill),
                    np.exp(SKILL_DEMO_MIX * skill), np.ones_like(skill)], axis=1)
    level = SEGMENT_ACTIVITY[opps["segment"][idx]] * opps["intensity"][idx]
    starts, durations = opps["stage_start"][idx], opps["duration"][idx]

    # a first e-mail or call on the day the deal is created, then activities stage by stage
    opp_parts = [np.arange(len(idx))]
    type_parts = [(rng.random(len(idx)) < 0.5).astype(np.int64)]
    day_parts = [created]
    for s in range(5):  # one step per stage
        lo = created + starts[:, s]
        nxt = created + starts[:, s + 1] - 1 if s < 4 else np.full(len(idx), NO_END)
        hi = np.where(s < reached, nxt, act_end)
        span = np.maximum(hi - lo + 1, 1)
        frac = np.clip(span / np.maximum(durations[:, s], 1), 0.15, 1.0) * (reached >= s)
        for t in range(len(schema.ACTIVITY_TYPES)):  # one step per activity type
            if ACTIVITY_RATE[s, t] == 0:
                continue
            count = rng.poisson(ACTIVITY_RATE[s, t] * level * mix[:, t] * frac)
            who = np.repeat(np.arange(len(idx)), count)
            opp_parts.append(who)
            type_parts.append(np.full(len(who), t))
            day_parts.append(lo[who] + np.floor(rng.random(len(who)) * span[who]).astype(np.int64))
    local = np.concatenate(opp_parts)
    kind = np.concatenate(type_parts)
    day = _to_weekday(np.concatenate(day_parts), clock.end)
    opp = idx[local]

    unlogged = np.zeros(len(opps["created"]), dtype=bool)
    unlogged[rng.choice(idx, int(round(NO_ACTIVITY_SHARE * len(idx))), replace=False)] = True
    rep = np.where(day < opps["handoff"][opp], opps["first_rep"][opp], opps["rep"][opp])
    ok = ~unlogged[opp] & (day >= reps["hire"][rep]) & (day <= reps["leave"][rep]) & (day <= clock.end)
    opp, kind, day, rep = opp[ok], kind[ok], day[ok], rep[ok]

    sdr_rep, sdr_day, sdr_kind = [], [], []
    for r in np.flatnonzero(reps["role"] == schema.ROLES.index("SDR")):  # one step per SDR
        days = np.arange(max(reps["hire"][r], clock.start), min(reps["leave"][r], clock.end) + 1)
        days = days[_weekday(days) < 5]
        if len(days) == 0:
            continue
        k = rng.poisson(len(days) * SDR_TOUCHES_PER_DAY)
        sdr_day.append(days[rng.integers(0, len(days), k)])
        sdr_kind.append((rng.random(k) < 0.4).astype(np.int64))  # 0 email, 1 call
        sdr_rep.append(np.full(k, r))
    opp = np.concatenate([opp] + [np.full(len(d), -1) for d in sdr_day])
    kind = np.concatenate([kind] + sdr_kind)
    day = np.concatenate([day] + sdr_day)
    rep = np.concatenate([rep] + sdr_rep)

    minute = 8 * 60 + rng.integers(0, 600, len(day))  # working hours 08:00-17:59
    timestamp = day * DAY_NS + minute * 60 * 10**9
    duration = DURATION_MEDIAN[kind] * rng.lognormal(0.0, 0.3, len(day))
    step = np.where(kind <= 1, 1.0, 5.0)
    duration = np.maximum(1.0, np.round(duration / step) * step)
    order = np.lexsort((kind, opp, rep, timestamp))
    opps["unlogged"] = unlogged
    return {"opp": opp[order], "kind": kind[order], "timestamp": timestamp[order], "rep": rep[order],
            "duration": duration[order]}


# --------------------------------------------------------------------------------------------------------
# Forecast submissions
# --------------------------------------------------------------------------------------------------------


def _make_forecast_submissions(rng, clock: _Clock, reps, opps) -> dict[str, np.ndarray]:
    """Each AE's commit and best case per quarter, anchored on what they went on to close, times a bias."""
    booked = np.flatnonzero(opps["won"])
    book_day = np.where(opps["is_open"][booked], opps["natural_close"][booked], opps["close"][booked])
    book_quarter = _month_of(book_day) // 3
    ae = np.flatnonzero(reps["role"] == schema.ROLES.index("AE"))
    first_q, last_q = _month_of(np.array([clock.start, clock.end])) // 3
    parts = []
    for q in range(first_q, last_q + 1):  # one step per quarter
        in_q = book_quarter == q
        actual = np.bincount(opps["rep"][booked[in_q]], weights=opps["amount"][booked[in_q]],
                             minlength=len(reps["role"]))[ae]
        submitted = _first_day(np.array([q * 3]))[0] + rng.integers(2, 13, len(ae))
        wd = _weekday(submitted)
        submitted = submitted + np.select([wd == 5, wd == 6], [2, 1], 0)
        ok = ((submitted >= clock.start) & (submitted <= clock.end) & (reps["hire"][ae] <= submitted)
              & (reps["leave"][ae] >= submitted))
        months_in = (submitted - reps["hire"][ae]) / 30.44
        ramp = np.clip(months_in / RAMP_MONTHS[reps["segment"][ae]], 0.05, 1.0)
        expected = 0.9 * actual + 0.1 * reps["quota"][ae] * ramp
        commit = expected * reps["forecast_bias"][ae] * rng.lognormal(0.0, 0.1, len(ae))
        best = commit * rng.uniform(1.15, 1.5, len(ae)) + 0.1 * reps["quota"][ae] * ramp
        parts.append((ae[ok], np.full(ok.sum(), q), submitted[ok], np.round(commit[ok], -3),
                      np.round(best[ok], -3)))
    rep, quarter, submitted, commit, best = (np.concatenate(c) for c in zip(*parts))
    return {"rep": rep, "quarter": quarter, "submitted": submitted, "commit": commit, "best_case": best}


# --------------------------------------------------------------------------------------------------------
# Orders (hardware)
# --------------------------------------------------------------------------------------------------------


def _make_orders(rng, clock: _Clock, scale: float) -> dict[str, np.ndarray]:
    """Order lines of the hardware product per region and month: growth, seasonality, lumpy units."""
    price = PRODUCTS[-1][3]
    rows = np.flatnonzero(clock.month_last >= clock.start)
    first = np.maximum(clock.month_start[rows], clock.start)
    days = clock.month_last[rows] - first + 1
    growth = TEAM_GROWTH ** ((clock.month_last[rows] - clock.end) / 365.25)
    lam = (ORDERS_PER_MONTH_AT_END * scale * growth * MONTH_SEASONALITY[clock.month_of_year[rows] - 1]
           * days / clock.full_month_days[rows])[:, None] * REGION_SHARE[None, :]
    counts = rng.poisson(lam)
    m, region = np.nonzero(counts >= 0)
    m, region = np.repeat(m, counts.ravel()), np.repeat(region, counts.ravel())
    day = first[m] + np.floor(rng.random(len(m)) * days[m]).astype(np.int64)
    units = 1 + rng.negative_binomial(2, 2.0 / (2.0 + UNITS_PER_ORDER - 1.0), len(m))
    revenue = np.round(units * price * (1.0 - ORDER_DISCOUNTS[rng.integers(0, 4, len(m))]), 2)
    order = np.lexsort((units, region, day))
    recent = day >= clock.end - 29
    on_hand = int(round(units[recent].sum() * rng.uniform(0.8, 1.5)))
    return {"day": day[order], "region": region[order], "units": units[order], "revenue": revenue[order],
            "on_hand": on_hand}


# --------------------------------------------------------------------------------------------------------
# Accounts, finishing touches: created dates, owners, duplicates, missing industries
# --------------------------------------------------------------------------------------------------------


def _finish_accounts(rng, clock: _Clock, reps, accounts, leads, opps) -> np.ndarray:
    """Account created dates and owners; duplicates re-pointing some leads/deals. Returns output row order.

    Adds ``created``, ``owner``, ``duplicate_of`` and ``industry_missing`` to ``accounts`` (duplicate rows
    appended after the originals) and re-points ``leads['account']`` / ``opps['account']``.
    """
    n = len(accounts["segment"])
    keep_lead = (leads["created"] >= clock.start) | np.isin(np.arange(len(leads["created"])),
                                                              opps["lead"][opps["keep"] & (opps["lead"] >= 0)])
    leads["keep"] = keep_lead
    first_seen = np.full(n, NO_END)
    np.minimum.at(first_seen, leads["account"][keep_lead], leads["created"][keep_lead])
    np.minimum.at(first_seen, opps["account"][opps["keep"]], opps["created"][opps["keep"]])
    created = np.where(first_seen < NO_END, first_seen - rng.integers(0, 91, n), accounts["random_created"])

    # duplicates: a second record for ~2 % of accounts, created later, picking up some later leads and deals
    n_dup = int(round(DUPLICATE_ACCOUNT_SHARE * n))
    original = np.sort(rng.choice(n, n_dup, replace=False))
    dup_created = np.minimum(created[original] + rng.integers(30, 500, n_dup), clock.end)
    dup_of = np.full(n, -1, dtype=np.int64)
    dup_of[original] = n + np.arange(n_dup)
    for table, key in ((leads, "created"), (opps, "created")):
        target = dup_of[table["account"]]
        move = (target >= 0) & (rng.random(len(target)) < 0.5)
        move &= table[key] >= dup_created[np.maximum(target - n, 0)]
        table["account"] = np.where(move, target, table["account"])

    variant = rng.integers(0, 4, n_dup)
    base = accounts["name"][original]
    legal = np.array(DUPLICATE_NAME_SUFFIXES, dtype=object)[rng.integers(0, len(DUPLICATE_NAME_SUFFIXES), n_dup)]
    dup_name = np.select(
        [variant == 0, variant == 1, variant == 2],
        [np.char.upper(base.astype(str)).astype(object), np.char.replace(base.astype(str), " ", "  ").astype(object)
         + " ", base + legal], np.char.lower(base.astype(str)).astype(object))
    for key in ("segment", "region", "industry", "employees", "revenue", "country", "fit"):
        accounts[key] = np.concatenate([accounts[key], accounts[key][original]])
    accounts["name"] = np.concatenate([accounts["name"], dup_name])
    accounts["duplicate_of"] = np.concatenate([np.full(n, -1), original])
    created = np.concatenate([created, dup_created])
    accounts["created"] = created
    total = n + n_dup
    accounts["industry_missing"] = rng.random(total) < MISSING_ACCOUNT_INDUSTRY

    # owner: the AE of the latest kept deal when still employed, else an employed AE of the segment/region
    ae = np.flatnonzero((reps["role"] == schema.ROLES.index("AE")) & (reps["leave"] == NO_END))
    owner = _pick_weighted(rng, accounts["segment"] * 4 + accounts["region"],
                           reps["segment"][ae] * 4 + reps["region"][ae], np.ones(len(ae)))
    owner = np.where(owner >= 0, owner, _pick_weighted(rng, accounts["segment"], reps["segment"][ae],
                                                       np.ones(len(ae))))
    owner = np.where(owner >= 0, ae[np.maximum(owner, 0)], ae[rng.integers(0, len(ae), total)])
    kept = np.flatnonzero(opps["keep"])
    kept = kept[np.lexsort((kept, opps["created"][kept], opps["account"][kept]))]
    last_of_account = np.append(opps["account"][kept][1:] != opps["account"][kept][:-1], True)
    latest_rep = np.full(total, -1, dtype=np.int64)
    latest_rep[opps["account"][kept[last_of_account]]] = opps["rep"][kept[last_of_account]]
    still_there = (latest_rep >= 0) & (reps["leave"][np.maximum(latest_rep, 0)] == NO_END)
    accounts["owner"] = np.where(still_there, latest_rep, owner)
    return np.lexsort((np.arange(total), created))


# --------------------------------------------------------------------------------------------------------
# Output frames with canonical columns and dtypes
# --------------------------------------------------------------------------------------------------------


def _dates(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days >= NO_END] = np.datetime64("NaT")
    return out


def _frame(table: str, columns: dict) -> pd.DataFrame:
    """Build ``table`` with every canonical column, in schema order, cast to its canonical dtype."""
    spec = schema.TABLES[table]
    data = {}
    for col in spec.columns:
        values = columns[col.name]
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


def _names(options, index: np.ndarray) -> np.ndarray:
    return _lookup(np.array(options, dtype=object), np.asarray(index))


def _reps_frame(reps, rep_ids) -> pd.DataFrame:
    return _frame("reps", {
        "rep_id": rep_ids, "name": reps["name"], "role": _names(schema.ROLES, reps["role"]),
        "manager_id": _lookup(rep_ids, reps["manager"]), "region": _names(REGIONS, reps["region"]),
        "segment": _names(SEGMENTS, reps["segment"]), "hire_date": _dates(reps["hire"]),
        "end_date": _dates(reps["leave"]), "quota": reps["quota"], "ote": reps["ote"],
    })


def _accounts_frame(accounts, order, rep_ids, account_ids) -> pd.DataFrame:
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    accounts["position"] = position  # account index -> output row (and id)
    industry = np.where(accounts["industry_missing"], -1, accounts["industry"])
    return _frame("accounts", {
        "account_id": account_ids, "name": accounts["name"][order],
        "industry": _names(INDUSTRIES, industry[order]),
        "employees": accounts["employees"][order], "annual_revenue": accounts["revenue"][order],
        "region": _names(REGIONS, accounts["region"][order]), "country": accounts["country"][order],
        "owner_rep_id": _lookup(rep_ids, accounts["owner"][order]), "created_date": _dates(accounts["created"][order]),
    })


def _leads_frame(rng, clock: _Clock, leads, accounts, rep_ids, account_ids):
    """Returns (lead id per internal lead index, leads frame)."""
    keep = np.flatnonzero(leads["keep"])
    keep = keep[np.lexsort((keep, leads["created"][keep]))]
    lead_ids = np.full(len(leads["created"]), None, dtype=object)
    lead_ids[keep] = _ids("L", len(keep), 7)
    n = len(keep)
    account = leads["account"][keep]
    converted = leads["converted"][keep]
    created = leads["created"][keep]
    recent = created > clock.end - OPEN_LEAD_DAYS
    engaged = (leads["email_clicks"][keep] + leads["form_fills"][keep]) > 0
    status = np.where(converted, 0, np.where(recent | leads["will_convert"][keep], np.where(engaged, 1, 2), 3))
    status = np.array(["converted", "working", "open", "disqualified"], dtype=object)[status]
    company = accounts["name"][account]
    lower = np.flatnonzero(rng.random(n) < 0.05)  # typed in lower case
    company[lower] = np.char.lower(company[lower].astype(str)).astype(object)
    domain = ("@" + pd.Series(accounts["name"]).str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
              + ".example").to_numpy(object)
    local = (pd.Series(np.repeat(np.array(FIRST_NAMES, dtype=object), len(LAST_NAMES)))
             + "." + np.tile(np.array(LAST_NAMES, dtype=object), len(FIRST_NAMES)))
    local = local.str.lower().str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    email = local.to_numpy(object)[leads["first"][keep] * len(LAST_NAMES) + leads["last"][keep]] + domain[account]
    phones = np.array([f"+1 555 01{i // 900:02d} ext {100 + i % 900}" for i in range(90_000)], dtype=object)
    phone = phones[rng.integers(0, len(phones), n)]
    # duplicate leads: the same contact entered again later (same e-mail and phone as the previous lead)
    by_account = np.lexsort((np.arange(n), account))
    same = np.flatnonzero(account[by_account][1:] == account[by_account][:-1]) + 1
    dup = rng.choice(same, min(len(same), int(round(DUPLICATE_LEAD_SHARE * n))), replace=False)
    email[by_account[dup]] = email[by_account[dup - 1]]
    phone[by_account[dup]] = phone[by_account[dup - 1]]
    industry = np.where(rng.random(n) < MISSING_LEAD_INDUSTRY, -1, accounts["industry"][account])
    shown = np.where(leads["show_account"][keep], accounts["position"][account], -1)
    frame = _frame("leads", {
        "lead_id": lead_ids[keep], "created_date": _dates(created), "source": _names(SOURCES, leads["source"][keep]),
        "account_id": _lookup(account_ids, shown), "company": company, "industry": _names(INDUSTRIES, industry),
        "employees": leads["employees"][keep], "region": _names(REGIONS, accounts["region"][account]),
        "title": leads["title"][keep],
        **{col: leads[col][keep] for col in ENGAGEMENT},
        "status": status, "converted": converted,
        "converted_date": _dates(np.where(converted, leads["convert_day"][keep], NO_END)),
        "owner_rep_id": _lookup(rep_ids, leads["owner"][keep]), "email": email, "phone": phone,
    })
    return lead_ids, frame


def _opportunities_frame(rng, opps, accounts, rep_ids, account_ids, lead_ids):
    """Returns (opportunity id per internal deal index, opportunities frame)."""
    keep = np.flatnonzero(opps["keep"])
    keep = keep[np.lexsort((keep, opps["created"][keep]))]
    opp_ids = np.full(len(opps["created"]), None, dtype=object)
    opp_ids[keep] = _ids("O", len(keep), 7)
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


def _activities_frame(activities, rep_ids, opp_ids) -> pd.DataFrame:
    n = len(activities["opp"])
    return _frame("activities", {
        "activity_id": _ids("X", n, 8), "rep_id": _lookup(rep_ids, activities["rep"]),
        "timestamp": activities["timestamp"].view("datetime64[ns]"),
        "type": _names(schema.ACTIVITY_TYPES, activities["kind"]),
        "opportunity_id": _lookup(opp_ids, activities["opp"]),
        "duration_minutes": activities["duration"],
    })


def _products_frame(orders) -> pd.DataFrame:
    hardware = np.array([p[2] == "hardware" for p in PRODUCTS])
    return _frame("products", {
        "product": [p[0] for p in PRODUCTS], "family": [p[1] for p in PRODUCTS], "kind": [p[2] for p in PRODUCTS],
        "unit_price": [p[3] for p in PRODUCTS], "unit_cost": [p[4] for p in PRODUCTS],
        "lead_time_days": [p[5] for p in PRODUCTS],
        "on_hand": [orders["on_hand"] if h else None for h in hardware],
    })


def _orders_frame(orders) -> pd.DataFrame:
    n = len(orders["day"])
    return _frame("orders", {
        "order_id": _ids("S", n, 7), "order_date": _dates(orders["day"]), "product": [PRODUCTS[-1][0]] * n,
        "region": _names(REGIONS, orders["region"]), "units": orders["units"], "revenue": orders["revenue"],
    })


def _submissions_frame(submissions, rep_ids) -> pd.DataFrame:
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
