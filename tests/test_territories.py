"""Unit tests of salesops.align.territories on tiny hand-made frames; every expectation is computed by hand in the
comments. The property tests draw random books of accounts and teams and check the rules that must always hold."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from pandas.testing import assert_frame_equal
from pydantic import ValidationError

from salesops.align.territories import (POOLS, REASONS, TerritorySettings, account_potential, assign_territories,
                                        balance_summary, gini, pool_groups, pool_targets, territory_balance)

from builders import assert_rejected


def make_reps(rows) -> pd.DataFrame:
    """rows: (rep_id, segment, region, capacity_weight)."""
    return pd.DataFrame(rows, columns=["rep_id", "segment", "region", "capacity_weight"])


def make_accounts(rows) -> pd.DataFrame:
    """rows: (account_id, segment, region, owner_rep_id, potential)."""
    return pd.DataFrame(rows, columns=["account_id", "segment", "region", "owner_rep_id", "potential"])


@pytest.fixture
def team() -> pd.DataFrame:
    return make_reps([("R1", "SMB", "NA", 1.0), ("R2", "SMB", "NA", 1.0), ("R3", "SMB", "EMEA", 1.0),
                      ("R4", "ENT", "NA", 0.5)])


@pytest.fixture
def book() -> pd.DataFrame:
    return make_accounts([
        ("A1", "SMB", "NA", "R1", 100.0),
        ("A2", "SMB", "NA", "R1", 50.0),
        ("A3", "SMB", "NA", "X9", 80.0),      # X9 has left
        ("A4", "SMB", "NA", None, 20.0),      # a prospect nobody owns
        ("A5", "SMB", "EMEA", "R1", 30.0),    # R1 is active but not in the EMEA pool
        ("A6", "MM", "NA", "", 35.0),         # no MM rep at all: any rep
        ("A7", "ENT", "EMEA", None, 10.0),    # no ENT rep in EMEA: ENT in another region
    ])


# --------------------------------------------------------------------------------------------------
# settings


def test_default_settings_are_valid_and_frozen():
    settings = TerritorySettings()
    assert settings.max_reassign_share == 0.1 and settings.balance_by == "potential"
    with pytest.raises(ValidationError):
        settings.max_reassign_share = 0.5


@pytest.mark.parametrize("bad, words", [
    ({"max_reassign_share": 1.5}, ["max_reassign_share", "share from 0 to 1"]),
    ({"max_reassign_share": -0.1}, ["max_reassign_share"]),
    ({"max_reassign_share": "10%"}, ["max_reassign_share"]),
    ({"balance_by": "accounts"}, ["balance_by", "potential"]),
    ({"max_reasign_share": 0.1}, ["max_reasign_share", "Extra inputs are not permitted"]),
])
def test_bad_settings_give_clear_errors(bad, words):
    assert_rejected(TerritorySettings, bad, words)


# --------------------------------------------------------------------------------------------------
# potential


def test_account_potential_by_hand():
    icp_segments = pd.DataFrame({
        "industry": ["Software", "Software", "Retail", "Retail"],
        "size_band": ["1–199", "2,000+", "1–199", "Unknown"],
        "region": ["NA", "NA", "NA", "NA"],
        "expected_value_per_lead": [100.0, 900.0, 300.0, np.nan],
    })
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4"],
        "industry": ["Software", " Software ", "Retail", "Retail"],
        "employees": [50, 5000, 0, 120],     # A3: 0 employees is "not entered" -> Unknown band, which has no value
        "region": ["NA", "NA", "NA", "EMEA"],  # A4: no Retail EMEA segment
    })
    out = account_potential(accounts, icp_segments)
    # the median of the valued segments 100, 900, 300 is 300
    assert out["potential"].tolist() == [100.0, 900.0, 300.0, 300.0]
    assert out["potential_basis"].tolist() == ["segment", "segment", "median", "median"]
    assert out["size_band"].tolist() == ["1–199", "2,000+", "Unknown", "1–199"]
    assert list(out.columns[:4]) == list(accounts.columns)


def test_account_potential_errors():
    accounts = pd.DataFrame({"account_id": ["A1"], "industry": ["Retail"], "employees": [10], "region": ["NA"]})
    no_values = pd.DataFrame({"industry": ["Retail"], "size_band": ["1–199"], "region": ["NA"],
                              "expected_value_per_lead": [np.nan]})
    with pytest.raises(ValueError, match="has no expected_value_per_lead"):
        account_potential(accounts, no_values)
    with pytest.raises(ValueError, match=r"icp_segments .* missing required column\(s\) \['size_band'\]"):
        account_potential(accounts, no_values.drop(columns="size_band"))
    twice = pd.concat([no_values.assign(expected_value_per_lead=1.0)] * 2)
    with pytest.raises(ValueError, match="more than once"):
        account_potential(accounts, twice)


# --------------------------------------------------------------------------------------------------
# assignment, by hand


def test_assignment_by_hand(book, team):
    # Pools: A1-A4 {R1, R2}; A5 {R3}; A6 every rep; A7 {R4}.
    # Targets: each account's potential over its pool by weight: R1 = R2 = (100+50+80+20)/2 + 35/3.5 = 135,
    # R3 = 30 + 10 = 40, R4 = 35 × 0.5/3.5 + 10 = 15. Kept: A1, A2 -> load R1 150.
    # Open, largest first: A3 80 -> R2 (headroom 135 vs R1's -15); A6 35 -> R2 (headroom 55 beats R3's 40);
    # A5 30 -> R3; A4 20 -> R2 (20 vs -15); A7 10 -> R4.
    # Rebalancing (budget floor(0.5 × 2) = 1): R1 is 15 over, R2 on target; moving A2 (50) or A1 (100) to R2
    # overshoots (p > e_R1 - e_R2 = 15), so nothing moves.
    out = assign_territories(book, team, TerritorySettings(max_reassign_share=0.5))
    expected = pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7"],
        "previous_rep_id": ["R1", "R1", "X9", None, "R1", None, None],
        "rep_id": ["R1", "R1", "R2", "R2", "R3", "R2", "R4"],
        "reassigned": [False, False, True, True, True, True, True],
        "rule": ["kept · same segment and region", "kept · same segment and region",
                 "owner not active · same segment and region", "no owner · same segment and region",
                 "owner not in pool · same segment and region", "no owner · any rep",
                 "no owner · same segment, other region"],
        "potential": [100.0, 50.0, 80.0, 20.0, 30.0, 35.0, 10.0],
    }).astype({"account_id": "string[pyarrow]", "previous_rep_id": "string[pyarrow]", "rep_id": "string[pyarrow]",
               "rule": "string[pyarrow]"})
    assert_frame_equal(out, expected)


def test_a_ramping_rep_gets_less(team):
    # R5 (weight 0.5) and R6 (weight 1) share six open accounts of 10: targets 20 and 40.
    # Largest first, ties by account_id, each to the most headroom: B1 -> R6 (40 vs 20), B2 -> R6 (30 vs 20),
    # B3 -> R5 (20 vs 20: tie, rep_id order), B4 -> R6 (20 vs 10), B5 -> R5 (10 vs 10: tie), B6 -> R6 (10 vs 0)
    reps = make_reps([("R5", "MM", "NA", 0.5), ("R6", "MM", "NA", 1.0)])
    accounts = make_accounts([(f"B{i}", "MM", "NA", None, 10.0) for i in range(1, 7)])
    out = assign_territories(accounts, reps)
    assert out["rep_id"].tolist() == ["R6", "R6", "R5", "R6", "R5", "R6"]


@pytest.fixture
def lopsided() -> tuple[pd.DataFrame, pd.DataFrame]:
    """R1 owns four accounts worth 100 in all, R2 (same pool, same weight) none: targets 50 and 50."""
    reps = make_reps([("R1", "SMB", "NA", 1.0), ("R2", "SMB", "NA", 1.0)])
    accounts = make_accounts([("A1", "SMB", "NA", "R1", 40.0), ("A2", "SMB", "NA", "R1", 30.0),
                              ("A3", "SMB", "NA", "R1", 20.0), ("A4", "SMB", "NA", "R1", 10.0)])
    return accounts, reps


@pytest.mark.parametrize("share, moved, after", [
    # budget floor(0.5 × 4) = 2. Excess R1 +50, R2 -50; a move of p changes Σ(load − target)² by 2p(p − 100):
    # best is A1 (40). Then excess +10 / -10: 2p(p − 20) is < 0 only for A4 (10) -> 50 / 50.
    (0.5, ["A1", "A4"], [50.0, 50.0]),
    (0.25, ["A1"], [60.0, 40.0]),   # budget 1
    (0.2, [], [100.0, 0.0]),        # budget floor(0.8) = 0
])
def test_rebalancing_moves_from_over_to_under_loaded_within_the_limit(lopsided, share, moved, after):
    accounts, reps = lopsided
    out = assign_territories(accounts, reps, TerritorySettings(max_reassign_share=share))
    assert out.loc[out["reassigned"], "account_id"].tolist() == moved
    assert out.loc[out["reassigned"], "rule"].eq("rebalanced · same segment and region").all()
    assert territory_balance(out, reps)["potential_after"].tolist() == after


def test_balance_improves_on_an_unbalanced_book(lopsided):
    accounts, reps = lopsided
    out = assign_territories(accounts, reps, TerritorySettings(max_reassign_share=0.5))
    balance = territory_balance(out, reps)
    assert balance["potential_before"].tolist() == [100.0, 0.0]
    assert balance["accounts_after"].tolist() == [2, 2]
    assert balance["potential_change"].tolist() == [-50.0, 50.0]
    summary = balance_summary(balance)
    # before 100 / 0: G = (-1 × 0 + 1 × 100) / (2 × 100) = 0.5; after 50 / 50: 0
    assert summary["moment"].tolist() == ["before", "after"]
    assert summary["gini"].tolist() == [0.5, 0.0]
    assert summary[["max_potential", "min_potential"]].values.tolist() == [[100.0, 0.0], [50.0, 50.0]]
    assert summary["potential_held"].tolist() == [100.0, 100.0]


def test_result_does_not_depend_on_row_order_and_inputs_are_untouched(book, team):
    before_book, before_team = book.copy(), team.copy()
    out = assign_territories(book, team)
    shuffled = assign_territories(book.iloc[::-1], team.iloc[[2, 0, 3, 1]])
    assert_frame_equal(shuffled, out.iloc[::-1].reset_index(drop=True))
    assert_frame_equal(book, before_book)
    assert_frame_equal(team, before_team)


@pytest.mark.parametrize("change_accounts, change_reps, message", [
    (lambda a: a, lambda r: r.iloc[0:0], "reps has no rows"),
    (lambda a: a, lambda r: r.assign(capacity_weight=[1.0, 0.0, 1.0, 1.0]), r"capacity_weight .* \['R2'\]"),
    (lambda a: a, lambda r: r.assign(rep_id=["R1", "R1", "R3", "R4"]), "rep_id must be filled in and unique"),
    (lambda a: a.assign(potential=-1.0), lambda r: r, "potential must be a number of 0 or more"),
    (lambda a: a.assign(account_id="A1"), lambda r: r, "account_id must be filled in and unique"),
    (lambda a: a.drop(columns="owner_rep_id"), lambda r: r, r"missing required column\(s\) \['owner_rep_id'\]"),
])
def test_bad_input_gives_clear_errors(book, team, change_accounts, change_reps, message):
    with pytest.raises(ValueError, match=message):
        assign_territories(change_accounts(book), change_reps(team))


# --------------------------------------------------------------------------------------------------
# properties


SEGMENTS, REGIONS = ["SMB", "MM", "ENT", None], ["NA", "EMEA", None]


@st.composite
def books(draw):
    reps = draw(st.lists(st.tuples(st.sampled_from(SEGMENTS[:2]), st.sampled_from(REGIONS[:2]),
                                   st.sampled_from([0.25, 0.5, 1.0])), min_size=1, max_size=6))
    rep_table = make_reps([(f"R{i}", *row) for i, row in enumerate(reps)])
    owners = [*rep_table["rep_id"], "GONE1", "GONE2", None, ""]
    accounts = draw(st.lists(st.tuples(st.sampled_from(SEGMENTS), st.sampled_from(REGIONS), st.sampled_from(owners),
                                       st.floats(0, 1e6)), max_size=40))
    account_table = make_accounts([(f"A{i}", *row) for i, row in enumerate(accounts)])
    return account_table, rep_table, draw(st.floats(0, 1))


def _expected_pool(account, reps) -> set[str]:
    """The reps who may own ``account``, straight from the rule: its segment and region, else its segment,
    else everyone (a missing segment or region matches no rep)."""
    same_segment = (reps["segment"] == account["segment"]).to_numpy() & (account["segment"] is not None)
    same_region = (reps["region"] == account["region"]).to_numpy() & (account["region"] is not None)
    for pool in (same_segment & same_region, same_segment, np.ones(len(reps), dtype=bool)):
        if pool.any():
            return set(reps.loc[pool, "rep_id"])
    raise AssertionError("reps is never empty")


@hypothesis_settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(books())
def test_assignment_rules_always_hold(drawn):
    accounts, reps, share = drawn
    out = assign_territories(accounts, reps, TerritorySettings(max_reassign_share=share))
    # every account exactly once, each to one active rep of its pool
    assert sorted(out["account_id"]) == sorted(accounts["account_id"])
    assert out["rep_id"].isin(reps["rep_id"]).all()
    assert not out["rep_id"].isin(["GONE1", "GONE2"]).any()
    for (_, account), (_, row) in zip(accounts.iterrows(), out.iterrows()):
        assert row["rep_id"] in _expected_pool(account, reps)
        reason, pool = row["rule"].split(" · ")
        assert reason in REASONS and pool in POOLS
    # discretionary moves stay within the limit: kept accounts are those whose active owner is in their pool
    kept = [row["previous_rep_id"] in _expected_pool(account, reps)
            for (_, account), (_, row) in zip(accounts.iterrows(), out.iterrows())]
    kept = np.array(kept, dtype=bool)
    moved = kept & out["reassigned"].to_numpy()
    assert moved.sum() <= math.floor(share * kept.sum() + 1e-9)
    assert out.loc[moved, "rule"].str.startswith("rebalanced").all()
    assert out.loc[kept & ~moved, "rule"].str.startswith("kept").all()
    assert out["potential"].sum() == pytest.approx(accounts["potential"].sum())


def _exhaustive(accounts: pd.DataFrame, reps: pd.DataFrame, share: float) -> list[str]:
    """The rep of each account by the rules of the module docstring, searched the slow way: every open account
    tries every rep of its pool, every move tries every movable account of every over-loaded rep (largest excess
    first) towards every other rep of its pool. Targets from ``pool_targets`` (the one piece not searched)."""
    reps = reps.sort_values("rep_id", key=lambda ids: ids.astype(str), kind="stable").reset_index(drop=True)
    order = np.argsort(accounts["account_id"].astype(str).to_numpy(), kind="stable")
    accounts = accounts.iloc[order].reset_index(drop=True)
    rep_ids = reps["rep_id"].tolist()
    pools = [{rep_ids.index(r) for r in _expected_pool(account, reps)} for _, account in accounts.iterrows()]
    potential = accounts["potential"].astype(float).to_numpy()
    group, _, members = pool_groups(accounts, reps)
    target = pool_targets(group, members, potential, reps["capacity_weight"].astype(float).to_numpy())
    owner = [rep_ids.index(o) if o in rep_ids else -1 for o in accounts["owner_rep_id"]]
    kept = [o >= 0 and o in pool for o, pool in zip(owner, pools)]
    assigned = [o if k else -1 for o, k in zip(owner, kept)]
    load = np.bincount([a for a in assigned if a >= 0], weights=potential[np.array(kept, dtype=bool)],
                       minlength=len(rep_ids))
    for row in np.lexsort((np.arange(len(accounts)), -potential)):
        if not kept[row]:
            assigned[row] = max(sorted(pools[row]), key=lambda r: target[r] - load[r])
            load[assigned[row]] += potential[row]
    load = np.bincount(assigned, weights=potential, minlength=len(rep_ids))
    tolerance = 1e-12 * max(float(potential.sum()), 1.0) ** 2
    moved = [False] * len(accounts)
    for _ in range(math.floor(share * sum(kept) + 1e-9)):
        excess = load - target
        best = None
        for source in np.argsort(-excess, kind="stable"):
            if excess[source] <= 0:
                break
            for row in range(len(accounts)):
                if kept[row] and not moved[row] and assigned[row] == source:
                    for destination in sorted(pools[row] - {source}):
                        p = potential[row]
                        change = p * (p + excess[destination] - excess[source])
                        if best is None or change < best[0]:
                            best = (change, row, destination)
            if best is not None and best[0] < -tolerance:
                break
            best = None
        if best is None:
            break
        _, row, destination = best
        load[assigned[row]] -= potential[row]
        load[destination] += potential[row]
        assigned[row], moved[row] = destination, True
    by_id = dict(zip(accounts["account_id"], (rep_ids[a] for a in assigned)))
    return [by_id[a] for a in accounts["account_id"].iloc[np.argsort(order)]]


@hypothesis_settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(books())
def test_the_fast_search_finds_what_the_exhaustive_one_finds(drawn):
    # heaps and sorted shelves (territories.py) in place of trying every account against every rep: the same owners
    accounts, reps, share = drawn
    out = assign_territories(accounts, reps, TerritorySettings(max_reassign_share=share))
    assert out["rep_id"].tolist() == _exhaustive(accounts, reps, share)


def test_the_fast_search_on_a_larger_book():
    # 400 accounts with skewed owners and 12 reps in 6 pools: many open accounts and moves, ties among potentials
    rng = np.random.default_rng(3)
    reps = make_reps([(f"R{i:02d}", ["SMB", "MM"][i % 2], ["NA", "EMEA", "APAC"][i % 3], [0.5, 1.0][i % 2])
                      for i in range(12)])
    owners = np.array([*reps["rep_id"], "GONE", None], dtype=object)
    accounts = make_accounts([(f"A{i:03d}", rng.choice(["SMB", "MM", "ENT"]), rng.choice(["NA", "EMEA", "APAC"]),
                               owners[min(int(14 * rng.random() ** 2), 13)], float(rng.integers(1, 30)))
                              for i in range(400)])
    out = assign_territories(accounts, reps, TerritorySettings(max_reassign_share=0.3))
    assert out["rule"].str.startswith("rebalanced").sum() >= 10
    assert out["rep_id"].tolist() == _exhaustive(accounts, reps, 0.3)


# --------------------------------------------------------------------------------------------------
# Gini


@pytest.mark.parametrize("values, expected", [
    ([0, 0, 0, 10], 0.75),           # Σ|xi − xj| = 6 × 10 = 60; 2 n² μ = 2 × 16 × 2.5 = 80
    ([1, 2, 3], 8 / 36),             # Σ|xi − xj| = 2 × (1 + 2 + 1) = 8; 2 × 9 × 2 = 36
    ([3, 1, 2], 8 / 36),             # order does not matter
    ([5, 5, 5], 0.0),
    ([0, 0], 0.0),                   # no potential anywhere: all equal
])
def test_gini_by_hand(values, expected):
    assert gini(values) == pytest.approx(expected)


def test_gini_edge_cases():
    assert math.isnan(gini([]))
    with pytest.raises(ValueError, match="0 or more"):
        gini([1, -1])
