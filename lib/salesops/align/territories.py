"""Step 4: territories — which active rep owns each account for the quarter, and how balanced the books are.

**Potential** of an account (:func:`account_potential`): step 1's expected value per lead of the account's
ICP segment (industry × size band × region), i.e. what a lead from such a company is worth in expected
bookings. It ranks accounts against each other; it is not a forecast of the account's bookings.

**Assignment** (:func:`assign_territories`), in this order:

1. *Pool*: the reps who may own an account: the active reps of its segment and region; if there are none,
   those of its segment in any region; if there are none either, every rep. The ``rule`` column names
   the pool (``same segment and region``, ``same segment, other region``, ``any rep``).
2. *Kept*: an account whose owner is an active rep (in ``reps``) of its pool stays with that owner.
3. *Open accounts* — the owner has left or is absent from ``reps``, there is no owner, or the owner is not
   in the account's pool — are handed out largest potential first (ties by account_id), each to the rep of
   its pool with the most headroom (target load minus current load; ties by rep_id).
4. *Rebalancing*: then, at most ``floor(max_reassign_share × kept accounts)`` kept accounts move. Each move
   is greedy: take the most over-loaded rep (load above target) that has an improving move; of its kept
   accounts and the other reps of that account's pool, make the move that lowers the imbalance
   ``Σ_r (load_r − target_r)²`` most. Moving potential p from rep a to rep b changes it by
   ``2p (p − (e_a − e_b))`` with ``e = load − target``, so a move improves only when p < e_a − e_b. Stop
   when the budget is used or no move improves. An account moves at most once; greedy moves are not
   guaranteed to reach the best possible balance, only to improve it at every step.

**Cost.** Pools are groups of reps (one per segment × region, per segment, and everyone), never an accounts × reps
matrix: that matrix took 9 GB at 300,000 accounts and 1,800 reps (scale 30) and would take 48 GB at scale 100. The
open accounts take the rep of most headroom from a heap per pool; a move needs, per pool of the source's
accounts, only the least loaded other rep (the same heaps) and the source's accounts whose potential is nearest
half the gap (sorted per rep and pool), so the whole assignment costs O(accounts × log accounts + moves ×
log accounts), where trying every account of the source against every rep cost O(moves × accounts × reps).
The search finds the same moves as trying everything (``tests/test_territories.py`` checks it against an
exhaustive search): 100,000 accounts and 600 reps in 0.6 s instead of 18 s; 1,000,000 and 6,000 in 11 s and
0.8 GB.

**Target load** of a rep: each account's potential is shared among the reps of its pool in proportion to
their ``capacity_weight``, and a rep's target is the sum of its shares. When every rep may take every
account this is ``total potential × capacity_weight_r / Σ capacity_weight``; a ramping rep (lower weight)
gets a smaller target.

**Balance** (:func:`territory_balance`, :func:`balance_summary`): potential per active rep before (by
``owner_rep_id``) and after, and the Gini coefficient of the potential per rep (:func:`gini`).

Money (potential) is in the company currency of step 1's expected values. Inputs are never modified;
outputs have a fresh 0..n-1 index. Bad arguments raise ``ValueError`` saying what is expected.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from salesops.checks import column_numbers, unique_ids
from salesops.collect.icp import size_band
from salesops.contract.schema import TEXT_DTYPE
from salesops.deals import UNKNOWN, check_columns, clean_text
from salesops.settings.base import Settings, settings_or_default
from salesops.settings.fields import Count, Share

#: Pools of an account, from the narrowest: the ``rule`` column ends with one of these.
POOLS: tuple[str, ...] = ("same segment and region", "same segment, other region", "any rep")
#: Why an account has its rep: the ``rule`` column starts with one of these.
REASONS: tuple[str, ...] = ("kept", "owner not active", "no owner", "owner not in pool", "rebalanced")
ASSIGNMENT_COLUMNS: tuple[str, ...] = ("account_id", "previous_rep_id", "rep_id", "reassigned", "rule", "potential")
BALANCE_COLUMNS: tuple[str, ...] = (
    "rep_id", "segment", "region", "capacity_weight", "accounts_before", "potential_before", "accounts_after",
    "potential_after", "potential_change",
)
SUMMARY_COLUMNS: tuple[str, ...] = ("moment", "reps", "potential_held", "max_potential", "min_potential", "gini")
ICP_KEYS: tuple[str, ...] = ("industry", "size_band", "region")


class TerritorySettings(Settings):
    """How accounts are assigned to reps (the ``territories:`` block of the params)."""

    max_reassign_share: Share = Field(
        0.1,
        description="At most this share (0-1) of the accounts kept by their active owner may move to another "
                    "rep to balance the territories; accounts of departed owners and unowned accounts are "
                    "assigned anyway and do not count. 0: no rebalancing.",
    )
    balance_by: Literal["potential"] = Field(
        "potential",
        description="What the territories are balanced on: potential (the accounts' expected value from step 1).",
    )
    workbook_max_rows: Count("rows", 100, 1_000_000, example=5000) = Field(
        5000,
        description="The account-by-account assignment goes into plan.xlsx while it has at most this many rows; "
                    "above, into a workbook of its own beside it (plan-account-assignments.xlsx), so that plan.xlsx stays "
                    "one to read and print.",
    )


# --------------------------------------------------------------------------------------------------
# helpers


def gini(values: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Gini coefficient of non-negative values (e.g. potential per rep): 0 when all are equal, approaching 1
    when one holds everything.

    G = Σ_i Σ_j |x_i − x_j| / (2 n² μ), over all ordered pairs, with n values of mean μ; computed as
    G = Σ_i (2i − n − 1) x_(i) / (n Σ x) over the values sorted ascending (i = 1..n). Example: 0, 0, 0, 10
    -> 60 / (2 × 16 × 2.5) = 0.75. NaN for no values; 0 when every value is 0 (all equal).
    """
    x = np.sort(np.asarray(values, dtype="float64"))
    if np.isnan(x).any() or (x < 0).any():
        raise ValueError(f"gini needs numbers of 0 or more; got {x.tolist()[:5]} ...")
    n = len(x)
    if n == 0:
        return math.nan
    total = x.sum()
    if total == 0:
        return 0.0
    return float(((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * total))


# --------------------------------------------------------------------------------------------------
# 1. potential


def account_potential(accounts: pd.DataFrame, icp_segments: pd.DataFrame,
                      size_bands: Sequence[int] = (200, 2000)) -> pd.DataFrame:
    """Expected value of each account, from step 1's ICP table.

    ``accounts``: ``account_id``, ``industry``, ``employees``, ``region``. ``icp_segments``: the ICP
    segment table cut by industry × size band × region (``industry``, ``size_band``, ``region``,
    ``expected_value_per_lead``); ``size_bands``: the employee thresholds it was cut with (``icp.size_bands``).

    Returns every column of ``accounts`` plus ``size_band`` (the band of ``employees``, ``Unknown`` when
    missing; an existing column is replaced), ``potential`` (currency: the ``expected_value_per_lead`` of the
    account's industry × size band × region; missing industry or region is ``Unknown``, as in step 1) and
    ``potential_basis``: ``"segment"``, or ``"median"`` when the segment is not in the table or has no value —
    then the median expected_value_per_lead of the segments that have one (unweighted: a typical segment).
    """
    check_columns(accounts, ("account_id", "industry", "employees", "region"), "accounts")
    check_columns(icp_segments, (*ICP_KEYS, "expected_value_per_lead"), "icp_segments (cut by industry × "
                   "size_band × region, the default icp.dimensions)")
    valued = icp_segments.loc[icp_segments["expected_value_per_lead"].notna(), [*ICP_KEYS, "expected_value_per_lead"]]
    if valued.empty:
        raise ValueError("icp_segments has no expected_value_per_lead: step 1 could not value any segment, so "
                         "accounts cannot be given a potential")
    keys = valued[list(ICP_KEYS)].astype(object)
    if keys.duplicated().any():
        raise ValueError(f"icp_segments lists a segment more than once: {keys[keys.duplicated()].values.tolist()[:3]}")
    lookup = pd.Series(valued["expected_value_per_lead"].to_numpy(dtype="float64"),
                       index=pd.MultiIndex.from_frame(keys))
    median = float(lookup.median())

    out = accounts.reset_index(drop=True)
    bands = size_band(out["employees"], size_bands)
    labels = pd.DataFrame({"industry": clean_text(out["industry"]).fillna(UNKNOWN), "size_band": bands,
                           "region": clean_text(out["region"]).fillna(UNKNOWN)}).astype(object)
    matched = lookup.reindex(pd.MultiIndex.from_frame(labels)).to_numpy()
    known = ~np.isnan(matched)
    return out.assign(
        size_band=bands,
        potential=np.where(known, matched, median),
        potential_basis=pd.array(np.where(known, "segment", "median"), dtype=TEXT_DTYPE),
    )


# --------------------------------------------------------------------------------------------------
# 2. assignment


def pool_groups(items: pd.DataFrame, reps: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The pool of each row of ``items`` (accounts or leads, with ``segment`` and ``region``) as a group of reps:
    the reps of its segment and region, else of its segment, else every rep (a missing segment or region matches
    no rep). Returns ``group`` (one code per item), ``pool`` (0, 1 or 2 per item: the position in ``POOLS`` of the
    pool used) and ``members`` (per group code, the positions in ``reps`` of its reps, ascending). Items with the
    same pool share a code, so the cost grows with items + groups × reps, not items × reps."""
    def labels(frame: pd.DataFrame, column: str) -> np.ndarray:
        return clean_text(frame[column]).fillna("").to_numpy(dtype=object)

    rep_segment, rep_region = labels(reps, "segment"), labels(reps, "region")
    segment_code, segments = pd.factorize(labels(items, "segment"))
    region_code, regions = pd.factorize(labels(items, "region"))
    code, combined = pd.factorize(segment_code * max(len(regions), 1) + region_code)
    unique = [(segments[c // max(len(regions), 1)], regions[c % max(len(regions), 1)]) for c in combined]
    keys: dict[tuple, int] = {}
    members: list[np.ndarray] = []
    combo_group, combo_pool = np.empty(len(unique), dtype=np.int64), np.empty(len(unique), dtype=np.int64)
    for position, (segment, region) in enumerate(unique):
        same_segment = (rep_segment == segment) & (segment != "")
        same_region = (rep_region == region) & (region != "")
        if (same_segment & same_region).any():
            key, chosen = (0, segment, region), same_segment & same_region
        elif same_segment.any():
            key, chosen = (1, segment), same_segment
        else:
            key, chosen = (2,), np.ones(len(reps), dtype=bool)
        if key not in keys:
            keys[key] = len(members)
            members.append(np.flatnonzero(chosen))
        combo_group[position], combo_pool[position] = keys[key], key[0]
    return combo_group[code], combo_pool[code], members


def rep_pools(items: pd.DataFrame, reps: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The pool of reps of each row of ``items`` (:func:`pool_groups`) as a matrix: ``eligible`` (booleans, one
    row per item, one column per rep of ``reps``) and ``pool`` (0, 1 or 2 per item: the position in ``POOLS``)."""
    group, pool, members = pool_groups(items, reps)
    by_group = np.zeros((len(members), len(reps)), dtype=bool)
    for code, reps_of_group in enumerate(members):
        by_group[code, reps_of_group] = True
    return by_group[group], pool


def pool_targets(group: np.ndarray, members: list[np.ndarray], potential: np.ndarray, weight: np.ndarray
                 ) -> np.ndarray:
    """Each account's potential shared over its pool by capacity weight, summed per rep: per pool, the pool's
    potential × each member's share of the pool's weight."""
    pooled = np.bincount(group, weights=potential, minlength=len(members))
    target = np.zeros(len(weight))
    for code, reps_of_group in enumerate(members):
        share = weight[reps_of_group] / weight[reps_of_group].sum()
        target[reps_of_group] += pooled[code] * share
    return target


class _Loads:
    """Each rep's load (potential held) and excess ``e = load − target``, with a lazy min-heap of ``(e, rep)`` per
    pool: the rep of a pool with the least excess (the most headroom; ties by rep position) is found in
    O(log reps) however many accounts there are. Loads change only through :meth:`add`, by the same additions as
    the matrix version did, so the figures are the same to the last bit."""

    def __init__(self, load: np.ndarray, target: np.ndarray, members: list[np.ndarray]):
        self.load, self.target = load.tolist(), target.tolist()
        self.version = [0] * len(self.load)
        self.pools_of: list[list[int]] = [[] for _ in self.load]
        self.heaps: list[list[tuple[float, int, int]]] = []
        for code, reps_of_group in enumerate(members):
            heap = [(self.excess(r), r, 0) for r in reps_of_group.tolist()]
            heapq.heapify(heap)
            self.heaps.append(heap)
            for r in reps_of_group.tolist():
                self.pools_of[r].append(code)

    def excess(self, rep: int) -> float:
        return self.load[rep] - self.target[rep]

    def add(self, rep: int, amount: float) -> None:
        self.load[rep] += amount
        self.version[rep] += 1
        entry = (self.excess(rep), rep, self.version[rep])
        for code in self.pools_of[rep]:
            heapq.heappush(self.heaps[code], entry)

    def _clean(self, heap: list) -> None:
        while heap and heap[0][2] != self.version[heap[0][1]]:
            heapq.heappop(heap)

    def lowest(self, code: int, besides: int = -1) -> int:
        """The rep of pool ``code`` with the least excess (ties: the lowest position), other than ``besides``;
        -1 when there is none."""
        heap = self.heaps[code]
        self._clean(heap)
        if not heap or heap[0][1] != besides:
            return heap[0][1] if heap else -1
        top = heapq.heappop(heap)
        self._clean(heap)
        other = heap[0][1] if heap else -1
        heapq.heappush(heap, top)
        return other


class _Shelves:
    """The movable accounts of each rep, per pool, sorted by (potential, position), with accounts taken out as they
    move: the account whose potential is nearest a value is found by bisection, and the next one still there by
    pointers that skip the ones taken (path-compressed)."""

    def __init__(self, rows: np.ndarray, rep: np.ndarray, group: np.ndarray, potential: np.ndarray):
        order = np.lexsort((rows, potential[rows], group[rows], rep[rows]))
        self.rows = rows[order].tolist()
        self.values = potential[rows][order].tolist()
        self.where = {row: i for i, row in enumerate(self.rows)}
        self.after = list(range(len(self.rows) + 1))  # next index still there, >= i (len: the end)
        self.before = list(range(len(self.rows) + 1))  # previous index still there, <= i - 1, shifted by one
        self.of: dict[int, list[tuple[int, int, int]]] = {}
        keys = np.stack([rep[rows][order], group[rows][order]], axis=1) if len(rows) else np.empty((0, 2), int)
        starts = np.flatnonzero(np.r_[True, (np.diff(keys, axis=0) != 0).any(axis=1)]) if len(rows) else []
        for start, stop in zip(list(starts), [*list(starts)[1:], len(rows)]):
            owner, code = int(keys[start, 0]), int(keys[start, 1])
            self.of.setdefault(owner, []).append((code, int(start), int(stop)))

    @staticmethod
    def _find(links: list[int], i: int) -> int:
        root = i
        while links[root] != root:
            root = links[root]
        while links[i] != root:
            links[i], i = root, links[i]
        return root

    def next_at(self, i: int, stop: int) -> int:
        """The first index >= i still there, or -1 at ``stop``."""
        j = self._find(self.after, i)
        return j if j < stop else -1

    def previous_at(self, i: int, start: int) -> int:
        """The last index <= i still there, or -1 before ``start``."""
        j = self._find(self.before, i + 1) - 1
        return j if j >= start else -1

    def first_of_value(self, value: float, start: int, stop: int) -> int:
        return self.next_at(bisect.bisect_left(self.values, value, start, stop), stop)

    def take(self, row: int) -> None:
        i = self.where[row]
        self.after[i], self.before[i + 1] = i + 1, i

    def candidates(self, start: int, stop: int, value: float) -> list[int]:
        """Indexes of accounts still there whose potential is one of the two nearest below ``value`` or the two
        nearest at or above it, each the first (lowest position) of its potential."""
        found = []
        right = self.next_at(bisect.bisect_left(self.values, value, start, stop), stop)
        for _ in range(2):
            if right < 0:
                break
            found.append(right)
            right = self.next_at(bisect.bisect_right(self.values, self.values[right], start, stop), stop)
        left = self.previous_at(bisect.bisect_left(self.values, value, start, stop) - 1, start)
        for _ in range(2):
            if left < 0:
                break
            first = self.first_of_value(self.values[left], start, stop)
            found.append(first)
            left = self.previous_at(bisect.bisect_left(self.values, self.values[left], start, stop) - 1, start)
        return found


def _assign_open(assigned: np.ndarray, open_rows: np.ndarray, group: np.ndarray, potential: np.ndarray,
                 loads: _Loads) -> np.ndarray:
    """Each open account, in the order of ``open_rows``, to the rep of its pool with the most headroom."""
    assigned = assigned.copy()
    for row, code, amount in zip(open_rows.tolist(), group[open_rows].tolist(), potential[open_rows].tolist()):
        rep = loads.lowest(code)
        assigned[row] = rep
        loads.add(rep, amount)
    return assigned


def _best_move(source: int, shelves: _Shelves, loads: _Loads) -> tuple[float, int, int, int] | None:
    """The move of one of ``source``'s movable accounts that lowers Σ (load − target)² most: (half the change,
    account row, destination rep, shelf index), ties by account row; None when it has no account to move.

    For an account of potential p in pool G the best destination is the rep of G with the least excess e_d (the
    change 2p (p − (e_s − e_d)) grows with e_d), and over the accounts of one pool the change is a parabola in p
    with its minimum at p = (e_s − e_d) / 2: only the accounts nearest that value need to be tried."""
    excess = loads.excess(source)
    best = None
    for code, start, stop in shelves.of.get(source, ()):
        destination = loads.lowest(code, besides=source)
        if destination < 0:
            continue
        other = loads.excess(destination)
        for i in shelves.candidates(start, stop, (excess - other) / 2):
            p = shelves.values[i]
            change = p * (p + other - excess)  # half the change of Σ (load − target)²
            key = (change, shelves.rows[i], destination, i)
            if best is None or key < best:
                best = key
    return best


def _rebalance(assigned: np.ndarray, movable: np.ndarray, group: np.ndarray, members: list[np.ndarray],
               potential: np.ndarray, target: np.ndarray, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy moves of movable accounts (module docstring, step 4). Returns the rep position of every account
    after the moves and the mask of the accounts moved.

    Each move takes the most over-loaded rep that has an improving move (a heap of reps by excess; a rep found
    without one is set aside until a move could give it one: its own load changed, or a rep of one of its pools
    fell below the two least loaded there) and its best move (:func:`_best_move`), so a move costs
    O(pools × log accounts) rather than a pass over the rep's accounts × reps."""
    assigned = assigned.copy()
    moved = np.zeros(len(assigned), dtype=bool)
    if budget <= 0:
        return assigned, moved
    loads = _Loads(np.bincount(assigned, weights=potential, minlength=len(target)), target, members)
    shelves = _Shelves(np.flatnonzero(movable), assigned, group, potential)
    tolerance = 1e-12 * max(float(potential.sum()), 1.0) ** 2
    queue = [(-loads.excess(rep), rep, 0) for rep in range(len(target))]
    heapq.heapify(queue)
    waiting: dict[int, set[int]] = {}  # pool -> reps set aside that have accounts in it
    moves = 0
    while moves < budget and queue:
        negative, source, version = queue[0]
        if version != loads.version[source]:
            heapq.heappop(queue)
            continue
        if -negative <= 0:
            break
        move = _best_move(source, shelves, loads)
        if move is None or not move[0] < -tolerance:
            heapq.heappop(queue)
            for code, _, _ in shelves.of.get(source, ()):
                waiting.setdefault(code, set()).add(source)
            continue
        _, row, destination, _ = move
        # the pools where the source could fall below the two least loaded reps: reps waiting there are tried again
        second = {code: loads.lowest(code, besides=loads.lowest(code)) for code in loads.pools_of[source]}
        second = {code: loads.excess(rep) if rep >= 0 else math.inf for code, rep in second.items()}
        amount = float(potential[row])
        shelves.take(row)
        assigned[row], moved[row] = destination, True
        loads.add(source, -amount)
        loads.add(destination, amount)
        moves += 1
        retry = {source, destination}
        for code, value in second.items():
            if loads.excess(source) < value:
                retry |= waiting.pop(code, set())
        for rep in retry:
            heapq.heappush(queue, (-loads.excess(rep), rep, loads.version[rep]))
    return assigned, moved


def assign_territories(accounts: pd.DataFrame, reps: pd.DataFrame,
                       settings: TerritorySettings | None = None) -> pd.DataFrame:
    """The owner of every account for the quarter (rules in the module docstring).

    ``accounts``: ``account_id`` (unique), ``segment``, ``region``, ``owner_rep_id`` (today's owner; may be
    empty or a rep who has left) and ``potential`` (>= 0, e.g. from :func:`account_potential`). ``reps``: the
    active reps who can own accounts: ``rep_id`` (unique), ``segment``, ``region``, ``capacity_weight`` (> 0;
    1 for a fully ramped rep, less for one still ramping).

    Returns one row per account, in the order of ``accounts``: ``account_id``, ``previous_rep_id``
    (``owner_rep_id`` as given, missing when empty), ``rep_id`` (always one of ``reps``), ``reassigned``
    (rep_id differs from previous_rep_id), ``rule`` (``"<reason> · <pool>"`` with a reason of ``REASONS``
    and a pool of ``POOLS``, e.g. ``"owner not active · same segment and region"``) and ``potential``.
    The result does not depend on the row order of either table.
    """
    settings = settings_or_default(settings, TerritorySettings)
    if not isinstance(settings, TerritorySettings):
        raise ValueError(f"settings must be a TerritorySettings (or None for the defaults); "
                         f"got {type(settings).__name__}")
    check_columns(accounts, ("account_id", "segment", "region", "owner_rep_id", "potential"), "accounts")
    check_columns(reps, ("rep_id", "segment", "region", "capacity_weight"), "reps")
    if reps.empty:
        raise ValueError("reps has no rows: accounts need at least one active rep to be assigned to")
    rep_ids = unique_ids(reps, "rep_id", "reps")
    rep_order = np.argsort(rep_ids.astype(str), kind="stable")
    reps, rep_ids = reps.iloc[rep_order].reset_index(drop=True), rep_ids[rep_order]
    weight = column_numbers(reps, "capacity_weight", "reps", "rep_id", "positive")

    account_order = np.argsort(unique_ids(accounts, "account_id", "accounts").astype(str), kind="stable")
    ordered = accounts.iloc[account_order].reset_index(drop=True)
    potential = column_numbers(ordered, "potential", "accounts", "account_id")
    previous = clean_text(ordered["owner_rep_id"])
    owner = previous.map(pd.Series(np.arange(len(rep_ids)), index=rep_ids)).fillna(-1).to_numpy(dtype=int)

    group, pool, members = pool_groups(ordered, reps)
    is_member = np.zeros((len(members), len(rep_ids)), dtype=bool)
    for code, reps_of_group in enumerate(members):
        is_member[code, reps_of_group] = True
    rows = np.arange(len(ordered))
    kept = (owner >= 0) & is_member[group, np.maximum(owner, 0)]
    reason = np.select([kept, previous.isna().to_numpy(), owner < 0],
                       ["kept", "no owner", "owner not active"], "owner not in pool").astype(object)

    target = pool_targets(group, members, potential, weight)
    assigned = np.where(kept, owner, -1)
    load = np.bincount(assigned[kept], weights=potential[kept], minlength=len(rep_ids))
    largest_first = np.lexsort((rows, -potential))
    assigned = _assign_open(assigned, largest_first[~kept[largest_first]], group, potential,
                            _Loads(load, target, members))

    budget = math.floor(settings.max_reassign_share * int(kept.sum()) + 1e-9)
    assigned, moved = _rebalance(assigned, kept, group, members, potential, target, budget)
    reason[moved] = "rebalanced"

    rep_id = pd.array(rep_ids[assigned], dtype=TEXT_DTYPE)
    out = pd.DataFrame({
        "account_id": pd.array(ordered["account_id"].astype(object).to_numpy(), dtype=TEXT_DTYPE),
        "previous_rep_id": pd.array(previous.to_numpy(dtype=object), dtype=TEXT_DTYPE),
        "rep_id": rep_id,
        "reassigned": (previous != rep_id).fillna(True).to_numpy(dtype=bool),
        "rule": pd.array([f"{why} · {POOLS[p]}" for why, p in zip(reason, pool)], dtype=TEXT_DTYPE),
        "potential": potential,
    })
    restore = np.empty_like(account_order)
    restore[account_order] = np.arange(len(account_order))
    return out.iloc[restore].reset_index(drop=True)[list(ASSIGNMENT_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# 3. balance


def territory_balance(assignment: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """Potential per active rep before and after the assignment.

    ``assignment``: from :func:`assign_territories`; ``reps``: the active reps (``rep_id``, ``segment``,
    ``region``, ``capacity_weight``). One row per rep, in the order of ``reps``: ``accounts_before`` /
    ``potential_before`` (accounts whose ``previous_rep_id`` is the rep, and their potential),
    ``accounts_after`` / ``potential_after`` (by ``rep_id``) and ``potential_change`` = after − before.
    Accounts of owners who are not in ``reps`` (or of none) count for nobody before.
    """
    check_columns(assignment, ("previous_rep_id", "rep_id", "potential"), "assignment")
    check_columns(reps, ("rep_id", "segment", "region", "capacity_weight"), "reps")
    rep_ids = unique_ids(reps, "rep_id", "reps")
    potential = assignment["potential"].astype("float64")

    def per_rep(column: str) -> tuple[np.ndarray, np.ndarray]:
        owner = clean_text(assignment[column]).astype(object)
        grouped = potential.groupby(owner.to_numpy(), dropna=True).agg(["size", "sum"]).reindex(rep_ids)
        return grouped["size"].fillna(0).to_numpy(dtype="int64"), grouped["sum"].fillna(0.0).to_numpy()

    (count_before, before), (count_after, after) = per_rep("previous_rep_id"), per_rep("rep_id")
    return pd.DataFrame({
        "rep_id": pd.array(rep_ids, dtype=TEXT_DTYPE),
        "segment": pd.array(reps["segment"].astype(object).to_numpy(), dtype=TEXT_DTYPE),
        "region": pd.array(reps["region"].astype(object).to_numpy(), dtype=TEXT_DTYPE),
        "capacity_weight": reps["capacity_weight"].astype("float64").to_numpy(),
        "accounts_before": count_before, "potential_before": before,
        "accounts_after": count_after, "potential_after": after,
        "potential_change": after - before,
    })[list(BALANCE_COLUMNS)]


def balance_summary(balance: pd.DataFrame) -> pd.DataFrame:
    """How even the territories are, before and after (``balance`` from :func:`territory_balance`).

    Two rows, ``moment`` ``before`` and ``after``: ``reps`` (count), ``potential_held`` (potential owned by
    active reps; before, less than after when accounts had no active owner), ``max_potential`` and
    ``min_potential`` (the most and least potential one rep holds) and ``gini`` (:func:`gini` of the
    potential per rep, reps holding nothing included).
    """
    check_columns(balance, ("potential_before", "potential_after"), "balance")
    rows = []
    for moment in ("before", "after"):
        values = balance[f"potential_{moment}"].astype("float64").to_numpy()
        rows.append({"moment": moment, "reps": len(values), "potential_held": float(values.sum()),
                     "max_potential": float(values.max()) if len(values) else math.nan,
                     "min_potential": float(values.min()) if len(values) else math.nan,
                     "gini": gini(values)})
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype({"moment": TEXT_DTYPE})
