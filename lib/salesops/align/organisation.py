"""Step 4 organisation: which sales-operations roles the company needs at its size.

The rule (from the article the workbook grew from, after Sales Hacker), by annual recurring revenue (ARR):

* **under $1M** — a *sales-operations specialist*: CRM administration, reporting and analytics, commission
  calculations, and first steps of the growth strategy;
* **$1M to under $10M** — add a *sales-enablement manager*: onboarding and training of the sales team;
* **$10M and above** — add a *director of sales operations*: strategy, the growth plan, territory design and
  compensation.

The boundaries are in US dollars in the article; ``OrganisationSettings.boundaries`` are in the company
currency, so convert them (e.g. 1,000,000 USD is about 920,000 EUR at 0.92). A company exactly on a boundary
is in the higher stage (ARR 1,000,000 needs the enablement manager).

**Measured ARR** (:func:`measured_arr`): the won amounts of subscription products (``products.kind ==
"subscription"``) closed in the 12 months up to ``as_of``, taking ``amount`` as the first-year contract value.
It is the recurring revenue booked in the last year: without renewals in the CRM it understates the ARR of an
older customer base, so set ``organisation.arr`` when finance has the real figure.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Annotated, Any, NamedTuple

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BeforeValidator, Field

from salesops import deals
from salesops.checks import as_timestamp
from salesops.contract.schema import TEXT_DTYPE
from salesops.formats import money
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import ListOf, Money, Rule, Text, is_number

#: Stages by ARR, in order; a company is in the first stage whose upper boundary it is below.
STAGES: tuple[str, ...] = ("under_1m", "1m_to_10m", "10m_plus")


class Role(NamedTuple):
    """A sales-operations role of the article: its key, its title, what it does, and the first stage it is
    needed in (index into STAGES)."""

    key: str
    title: str
    responsibilities: str
    from_stage: int
    aliases: tuple[str, ...]


ROLES: tuple[Role, ...] = (
    Role("sales_ops_specialist", "Sales operations specialist",
         "runs the CRM, reporting and analytics, and calculates commissions", 0,
         ("sales ops specialist", "sales operations analyst", "sales ops analyst", "sales operations manager",
          "sales ops manager", "revops analyst", "crm administrator")),
    Role("sales_enablement_manager", "Sales enablement manager",
         "onboards and trains the sales team (methodology, product, process)", 1,
         ("enablement manager", "sales enablement", "sales trainer")),
    Role("sales_ops_director", "Director of sales operations",
         "owns sales strategy, the growth plan, territory design and compensation", 2,
         ("director of sales ops", "sales operations director", "sales ops director", "head of sales operations",
          "head of sales ops", "vp sales operations", "vp of sales operations", "head of revops",
          "director of revenue operations")),
)

RECOMMENDATION_COLUMNS: tuple[str, ...] = (
    "role", "title", "needed_from_arr", "needed", "present", "responsibilities", "recommendation",
)


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()


#: Every accepted spelling of a role (normalised) -> its key.
_ROLE_NAMES: dict[str, str] = {
    _normalise(name): role.key for role in ROLES for name in (role.key, role.title, *role.aliases)
}


# --------------------------------------------------------------------------------------------------
# settings


def _known_roles(titles: tuple[str, ...] | None) -> tuple[str, ...]:
    """The role titles, each known by its title or an alias; none given: ()."""
    unknown = [name for name in titles or () if _normalise(name) not in _ROLE_NAMES]
    if unknown:
        known = "; ".join(f"{role.title} (or {', '.join(role.aliases[:3])})" for role in ROLES)
        raise ValueError(f"unknown role(s) {unknown}; name each by one of: {known}")
    return tuple(titles or ())


def _ascending(pair: Any) -> bool:
    return (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(is_number(v) and v > 0 for v in pair)
            and pair[0] < pair[1])


#: The ARR at which the second and the third stage start: two ascending amounts above 0.
StageBoundaries = Annotated[tuple[float, float], BeforeValidator(Rule(
    "two ascending ARR amounts above 0 (company currency)", [1_000_000, 10_000_000], [10, 1], _ascending,
    lambda pair: (float(pair[0]), float(pair[1]))))]
#: Sales-operations role titles (a title or an alias of one of ROLES); null: none given.
RoleTitles = Annotated[ListOf(Text("Sales operations specialist"), "role titles", ["Sales operations specialist"],
                              optional=True), AfterValidator(_known_roles)]


class OrganisationSettings(Settings):
    """The company's stage and its sales-operations team (``organisation:`` in the params)."""

    arr: Money(example=2_500_000, optional=True) = Field(
        None,
        description="Annual recurring revenue, company currency (>= 0). null: measured from the won "
                    "subscription deals of the last 12 months (see measured_arr).")
    boundaries: StageBoundaries = Field(
        (1_000_000.0, 10_000_000.0),
        description="ARR at which the second and the third stage start, company currency, ascending. The article's "
                    "figures are USD 1M and 10M: convert them to the company currency.")
    current_roles: RoleTitles = Field(
        (),
        description="Sales-operations roles the company has today, by title (e.g. 'Sales operations specialist', "
                    "'Sales enablement manager', 'Director of sales operations', or a listed alias). Empty "
                    "(default): unknown, so the recommendation cannot say what is missing.")


# --------------------------------------------------------------------------------------------------
# 1. ARR


class MeasuredArr(NamedTuple):
    """ARR measured from the CRM (company currency) and a sentence saying what it was measured on."""

    arr: float
    basis: str


def measured_arr(opportunities: pd.DataFrame, products: pd.DataFrame | None, as_of,
                 currency: str = "USD") -> MeasuredArr:
    """Annual recurring revenue: the won amounts (first-year contract value) of subscription products closed
    in the 12 months up to ``as_of`` — ``(as_of - 12 months, as_of]``, collect's window rule.

    ``opportunities``: ``close_date``, ``is_won``, ``amount`` and, for the subscription filter, ``product``.
    ``products``: ``product``, ``kind``. Without products (``None``, no ``product`` column on the
    opportunities, or no product with a ``kind``: products derived from line items) every won amount counts,
    and ``basis`` says so; a won deal whose product is not in
    ``products`` is not counted as subscription, and ``basis`` counts them.
    """
    if not isinstance(opportunities, pd.DataFrame):
        raise ValueError(f"opportunities must be a pandas DataFrame; got {type(opportunities).__name__}")
    deals.check_columns(opportunities, ("close_date", "is_won", "amount"), "opportunities")
    as_of = as_timestamp(as_of, "as_of")
    start = deals.window_start(as_of, 12)
    close = opportunities["close_date"]
    won = opportunities.loc[(opportunities["is_won"].fillna(False) & (close > start) & (close <= as_of))
                            .to_numpy(dtype=bool)]
    amounts = won["amount"].astype("float64").fillna(0.0)
    window = f"won deals closed from {(start + pd.Timedelta(days=1)).date()} to {as_of.date()}"
    no_kind = products is not None and "kind" in products.columns and bool(products["kind"].isna().all())
    if products is None or "product" not in opportunities.columns or no_kind:
        why = ("no products table" if products is None else "the opportunities have no product column"
               if "product" not in opportunities.columns else "the products carry no kind")
        return MeasuredArr(float(amounts.sum()), f"All {window} ({money(amounts.sum(), currency)}): {why}, so "
                                                 "services and hardware may be counted as recurring revenue.")
    if not isinstance(products, pd.DataFrame):
        raise ValueError(f"products must be a pandas DataFrame or None; got {type(products).__name__}")
    deals.check_columns(products, ("product", "kind"), "products")
    kinds = dict(zip(products["product"].astype(object), products["kind"].astype(object)))
    kind = won["product"].astype(object).map(kinds)
    subscription = kind.eq("subscription").fillna(False).to_numpy(dtype=bool)
    unknown = int(kind.isna().sum())
    value = float(amounts[subscription].sum())
    basis = (f"Subscription {window}, at first-year contract value: {int(subscription.sum()):,} of "
             f"{len(won):,} won deals ({money(value, currency)} of {money(amounts.sum(), currency)}).")
    if unknown:
        basis += f" {unknown:,} won deal(s) whose product is not in the products table are not counted."
    return MeasuredArr(value, basis)


# --------------------------------------------------------------------------------------------------
# 2. stage and roles


def organisation_stage(arr: float, settings: OrganisationSettings | None = None) -> str:
    """The stage of a company with this ARR: ``under_1m`` below the first boundary, ``1m_to_10m`` from it to
    below the second, ``10m_plus`` from the second on (a company on a boundary is in the higher stage)."""
    settings = settings_or_default(settings, OrganisationSettings)
    if isinstance(arr, bool) or not isinstance(arr, numbers.Real) or not math.isfinite(arr) or arr < 0:
        raise ValueError(f"arr must be an annual amount of 0 or more; got {arr!r}")
    return STAGES[int(np.searchsorted(settings.boundaries, arr, side="right"))]


def stage_label(stage: str, settings: OrganisationSettings | None = None, currency: str = "USD") -> str:
    """``"ARR from $1,000,000 to under $10,000,000"`` and the like, for a stage of :data:`STAGES`."""
    settings = settings_or_default(settings, OrganisationSettings)
    low, high = settings.boundaries
    labels = {"under_1m": f"ARR under {money(low, currency)}",
              "1m_to_10m": f"ARR from {money(low, currency)} to under {money(high, currency)}",
              "10m_plus": f"ARR of {money(high, currency)} and above"}
    if stage not in labels:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}; got {stage!r}")
    return labels[stage]


def _recommendation(role: Role, needed: bool, present: bool | None, from_arr: str) -> str:
    if needed and present is None:
        return (f"Check that someone {role.responsibilities}; list today's sales-operations roles in "
                "organisation.current_roles so the plan can say what is missing.")
    if needed and present:
        return f"Keep the {role.title.lower()}, who {role.responsibilities}."
    if needed:
        return (f"Hire or appoint a {role.title.lower()} this quarter: at this stage the company needs someone "
                f"who {role.responsibilities}.")
    if present:
        return f"Already in place ahead of the stage (needed from {from_arr}); keep the role focused."
    return f"Not needed yet: plan the role for when ARR reaches {from_arr}."


def recommend_organisation(arr: float, current_roles=None, settings: OrganisationSettings | None = None,
                           currency: str = "USD") -> pd.DataFrame:
    """The sales-operations roles of the article, which ones the company's stage needs and which it has.

    ``current_roles``: role titles the company has (any spelling accepted by ``OrganisationSettings``);
    ``None``: those of ``settings.current_roles``; an empty list means unknown. One row per role of
    :data:`ROLES`: ``role`` (key), ``title``, ``needed_from_arr`` (currency: 0, then the boundaries),
    ``needed`` (the stage needs it), ``present`` (boolean; missing when the team is unknown),
    ``responsibilities`` and ``recommendation`` (one sentence). ``attrs["stage"]`` holds the stage key and
    ``attrs["stage_label"]`` its words.
    """
    settings = settings_or_default(settings, OrganisationSettings)
    names = settings.current_roles if current_roles is None else current_roles
    names = OrganisationSettings(current_roles=names).current_roles  # same validation and message
    stage = organisation_stage(arr, settings)
    have = {_ROLE_NAMES[_normalise(name)] for name in names}
    starts = (0.0, *settings.boundaries)
    rows = []
    for role in ROLES:
        needed = role.from_stage <= STAGES.index(stage)
        present = (role.key in have) if names else None
        from_arr = money(starts[role.from_stage], currency)
        rows.append((role.key, role.title, starts[role.from_stage], needed, present, role.responsibilities,
                     _recommendation(role, needed, present, from_arr)))
    out = pd.DataFrame.from_records(rows, columns=RECOMMENDATION_COLUMNS)
    for column in ("role", "title", "responsibilities", "recommendation"):
        out[column] = out[column].astype(TEXT_DTYPE)
    out["needed"] = out["needed"].astype(bool)
    out["present"] = out["present"].astype("boolean")
    out.attrs["stage"] = stage
    out.attrs["stage_label"] = stage_label(stage, settings, currency)
    return out
