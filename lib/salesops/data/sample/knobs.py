"""The knobs of the sample company: every rate, share, size and list the simulation draws from.

Index order follows the tuples the arrays describe (``SEGMENTS``, ``REGIONS``, ``INDUSTRIES``, ``SOURCES``,
seniority levels, ``PRODUCTS``, ``schema.ACTIVITY_TYPES``). Money is in the company currency, durations in days
unless named otherwise, counts are at scale 1. Changing a knob changes the generated company (and its bytes).
"""

from __future__ import annotations

import numpy as np

from salesops.contract import schema


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
