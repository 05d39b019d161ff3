"""The sample-company generator: deterministic, faithful to the data contract, and carrying the signals
(segments, seasonality, ICP, ramp, rep skill, forecast bias) and planted defects the analyses look for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from salesops.contract import schema
from salesops.data.sample import SAMPLE_TABLES, generate_sample, write_sample
from salesops.data.sample.generate import NOT_IN_SAMPLE
from salesops.data.sample.clock import WARM_UP_MONTHS, Clock, day_number, to_weekday, weekday
from salesops.data.sample.draws import pick_weighted
from salesops.data.sample.tables import sequential_ids

END = pd.Timestamp("2026-06-30")
SCALE = 0.25

KIND_DTYPES = {
    "string": pd.StringDtype(),
    "date": np.dtype("datetime64[ns]"),
    "datetime": np.dtype("datetime64[ns]"),
    "bool": pd.BooleanDtype(),
    "int": pd.Int64Dtype(),
    "float": np.dtype("float64"),
}


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return generate_sample(END, scale=SCALE, seed=42)


@pytest.fixture(scope="module")
def closed_with_segment(sample) -> pd.DataFrame:
    opps = sample["opportunities"]
    closed = opps[opps["is_closed"]]
    return closed.merge(sample["reps"][["rep_id", "segment"]], on="rep_id", how="left")


def normalise_name(name: str) -> str:
    words = pd.Series([name]).str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).iloc[0].split()
    while len(words) > 1 and words[-1] in {"inc", "ltd", "llc", "gmbh"}:
        words.pop()
    return " ".join(words)


# -- determinism ----------------------------------------------------------------------------------


def test_same_arguments_give_identical_frames(sample):
    again = generate_sample(END, scale=SCALE, seed=42)
    assert list(again) == list(sample)
    for name in sample:
        pd.testing.assert_frame_equal(again[name], sample[name])


def test_another_seed_gives_another_company(sample):
    other = generate_sample(END, scale=SCALE, seed=7)
    assert not other["opportunities"]["amount"].equals(sample["opportunities"]["amount"])


def test_write_sample_gives_identical_bytes_and_round_trips(tmp_path):
    first = write_sample(tmp_path / "a", END, scale=0.1, seed=3)
    second = write_sample(tmp_path / "b", END, scale=0.1, seed=3)
    assert [p.name for p in first] == [f"{name}.parquet" for name in SAMPLE_TABLES]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    frames = generate_sample(END, scale=0.1, seed=3)
    for path in first:
        pd.testing.assert_frame_equal(pd.read_parquet(path), frames[path.stem])


def test_leads_and_activities_written_a_slice_at_a_time_are_the_same_tables(tmp_path):
    # 0.1 gives some 7,000 leads and 30,000 activities: slices of 2,000 rows (the last one shorter) read back as the
    # whole tables, planted duplicate contacts included
    paths = write_sample(tmp_path, END, scale=0.1, seed=3, chunk_rows=2_000)
    whole = generate_sample(END, scale=0.1, seed=3)
    for table in ("leads", "activities"):
        path = tmp_path / f"{table}.parquet"
        assert path in paths and pq.ParquetFile(path).metadata.num_row_groups > 3
        pd.testing.assert_frame_equal(pd.read_parquet(path), whole[table])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="scale"):
        generate_sample(END, scale=0)
    with pytest.raises(ValueError, match="history_years"):
        generate_sample(END, history_years=0)


# -- the data contract ----------------------------------------------------------------------------


def _specs(sample):
    """(name, spec) of each table of the sample: every table of the contract but the stage history."""
    return [(name, schema.TABLES[name]) for name in sample]


def test_every_table_with_canonical_columns_and_dtypes(sample):
    assert list(sample) == list(SAMPLE_TABLES) == [t for t in schema.TABLES if t not in NOT_IN_SAMPLE]
    for name, spec in _specs(sample):
        frame = sample[name]
        assert list(frame.columns) == spec.column_names, name
        assert len(frame) > 0, name
        assert isinstance(frame.index, pd.RangeIndex)
        for column in spec.columns:
            assert frame[column.name].dtype == KIND_DTYPES[column.kind], (name, column.name)
        dates = [c.name for c in spec.columns if c.kind == "date"]
        for column in dates:
            values = frame[column].dropna()
            assert (values == values.dt.normalize()).all(), (name, column)


def test_primary_keys_unique_and_required_values_present(sample):
    for name, spec in _specs(sample):
        frame = sample[name]
        if spec.primary_key:
            assert not frame.duplicated(list(spec.primary_key)).any(), name
        for column in spec.columns:
            values = frame[column.name]
            if not column.nullable:
                assert values.notna().all(), (name, column.name)
            if column.allowed:
                assert values.dropna().isin(column.allowed).all(), (name, column.name)
            if column.non_negative:
                assert (values.dropna() >= 0).all(), (name, column.name)


def test_id_formats(sample):
    patterns = {
        ("reps", "rep_id"): r"R\d{4}", ("accounts", "account_id"): r"A\d{6}", ("leads", "lead_id"): r"L\d{7}",
        ("opportunities", "opportunity_id"): r"O\d{7}", ("activities", "activity_id"): r"X\d{8}",
    }
    for (table, column), pattern in patterns.items():
        assert sample[table][column].str.fullmatch(pattern).all(), (table, column)


def test_every_foreign_key_resolves(sample):
    for name, spec in _specs(sample):
        for fk in spec.foreign_keys:
            values = sample[name][fk.column].dropna()
            orphans = ~values.isin(sample[fk.ref_table][fk.ref_column])
            assert not orphans.any(), (name, fk.column, values[orphans].head().tolist())
    reps = sample["reps"].set_index("rep_id")
    managed = reps[reps["role"].isin(["AE", "SDR"])]
    assert (reps.loc[managed["manager_id"], "role"] == "MANAGER").all()
    assert (reps.loc[sample["opportunities"]["rep_id"].unique(), "role"] == "AE").all()


def test_dates_in_order(sample):
    for name, spec in _specs(sample):
        frame = sample[name]
        for order in spec.date_orders:
            both = frame[order.earlier].notna() & frame[order.later].notna()
            assert (frame.loc[both, order.later] >= frame.loc[both, order.earlier]).all(), (name, order)


def test_nothing_after_the_end_date_except_expected_close_dates(sample):
    last = END + pd.Timedelta(days=1)  # the whole of the end date
    checks = {
        "reps": ["hire_date", "end_date"], "accounts": ["created_date"], "leads": ["created_date", "converted_date"],
        "opportunities": ["created_date"], "activities": ["timestamp"], "orders": ["order_date"],
        "forecast_submissions": ["submitted_date"],
    }
    for table, columns in checks.items():
        for column in columns:
            assert (sample[table][column].dropna() < last).all(), (table, column)
    opps = sample["opportunities"]
    assert (opps.loc[opps["is_closed"], "close_date"] <= END).all()
    future = opps["close_date"] > END
    assert future.any() and (~opps.loc[future, "is_closed"]).all()


def test_history_window(sample):
    start = END - pd.DateOffset(years=3) + pd.Timedelta(days=1)
    orders = sample["orders"]["order_date"]
    assert orders.min() >= start and orders.min() < start + pd.Timedelta(days=10)
    opps = sample["opportunities"]
    # deals before the window are kept only when they close inside it
    early = opps["created_date"] < start
    assert (opps.loc[early, "close_date"] >= start).all()
    assert early.mean() < 0.05
    leads = sample["leads"]
    assert (leads["created_date"] >= start).mean() > 0.99


def test_stage_fields_are_consistent(sample):
    opps = sample["opportunities"]
    assert (opps["is_closed"] == opps["stage"].isin(schema.CLOSED_STAGES)).all()
    assert (opps["is_won"] == (opps["stage"] == "closed_won")).all()
    won = opps["stage"] == "closed_won"
    assert (opps.loc[won, "max_stage"] == "negotiate").all()
    open_ = ~opps["is_closed"]
    assert (opps.loc[open_, "max_stage"] == opps.loc[open_, "stage"]).all()
    assert opps["max_stage"].notna().all()
    assert (opps.loc[won, "forecast_category"] == "closed").all()
    assert (opps.loc[opps["stage"] == "closed_lost", "forecast_category"] == "omitted").all()
    assert opps.loc[open_, "forecast_category"].isin(["pipeline", "best_case", "commit"]).all()
    commit_share = opps[open_].groupby("stage")["forecast_category"].apply(lambda s: (s == "commit").mean())
    assert commit_share["negotiate"] > commit_share["qualify"]


def test_lead_links(sample):
    leads, opps = sample["leads"], sample["opportunities"]
    linked = opps["lead_id"].dropna()
    assert linked.is_unique
    assert leads.set_index("lead_id").loc[linked, "converted"].all()
    assert 0.4 < opps["lead_id"].notna().mean() < 0.8  # not every deal comes from a lead
    converted = leads[leads["converted"]]
    assert converted["converted_date"].notna().all() and converted["account_id"].notna().all()
    assert leads.loc[~leads["converted"], "converted_date"].isna().all()
    by_lead = opps.dropna(subset=["lead_id"]).set_index("lead_id")
    assert (by_lead["created_date"] == converted.set_index("lead_id").loc[by_lead.index, "converted_date"]).all()
    recent = leads["created_date"] > END - pd.Timedelta(days=30)
    assert leads.loc[recent & ~leads["converted"], "status"].isin(["open", "working"]).all()
    old = leads["created_date"] < END - pd.Timedelta(days=180)
    assert leads.loc[old, "status"].isin(["converted", "disqualified"]).all()
    assert leads["email"].str.fullmatch(r"[a-z]+\.[a-z]+@[a-z0-9]+\.example").all()


def test_activities_in_working_hours(sample):
    acts = sample["activities"]
    ts = acts["timestamp"]
    assert ts.dt.hour.between(8, 17).all()
    assert (ts.dt.dayofweek < 5).all()
    median = acts.groupby("type")["duration_minutes"].median()
    assert median["email"] < median["call"] < median["meeting"] < median["demo"] < median["proposal"]
    assert acts["opportunity_id"].notna().mean() > 0.5
    roles = sample["reps"].set_index("rep_id")["role"]
    unlinked = acts[acts["opportunity_id"].isna()]
    assert (roles.loc[unlinked["rep_id"]] == "SDR").all()
    assert unlinked["type"].isin(["email", "call"]).all()


def test_activities_only_while_employed(sample):
    acts = sample["activities"].merge(sample["reps"][["rep_id", "hire_date", "end_date"]], on="rep_id")
    day = acts["timestamp"].dt.normalize()
    assert (day >= acts["hire_date"]).all()
    assert (day <= acts["end_date"].fillna(END)).all()


# -- scale ----------------------------------------------------------------------------------------


def test_scale_grows_counts_linearly(sample):
    double = generate_sample(END, scale=2 * SCALE, seed=42)
    for table in ("reps", "accounts", "leads", "opportunities", "activities", "orders", "forecast_submissions"):
        ratio = len(double[table]) / len(sample[table])
        assert 1.6 < ratio < 2.5, (table, ratio)
    ae_small = (sample["reps"]["role"] == "AE") & sample["reps"]["end_date"].isna()
    ae_double = (double["reps"]["role"] == "AE") & double["reps"]["end_date"].isna()
    assert ae_small.sum() == round(60 * SCALE) and ae_double.sum() == round(120 * SCALE)


# -- team -----------------------------------------------------------------------------------------


def test_team_size_growth_and_attrition():
    reps = generate_sample("2026-12-31", scale=1.0)["reps"]
    active = reps[reps["end_date"].isna()]
    assert active["role"].value_counts().to_dict() == {"AE": 60, "SDR": 20, "SE": 10, "CSM": 10, "SUPPORT": 8,
                                                      "MANAGER": 8}
    aes = reps[reps["role"] == "AE"]
    year_ago = pd.Timestamp("2025-12-31")
    then = aes[(aes["hire_date"] <= year_ago) & (aes["end_date"].isna() | (aes["end_date"] > year_ago))]
    assert 1.2 < 60 / len(then) < 1.45
    left_last_year = aes["end_date"].between(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31")).sum()
    assert 0.08 < left_last_year / len(then) < 0.3
    assert aes["segment"].isin(schema.SEGMENTS).all() and aes["quota"].gt(0).all() and aes["ote"].gt(0).all()
    quota = aes.groupby("segment")["quota"].mean()
    assert quota["SMB"] < quota["MM"] < quota["ENT"]
    assert aes["region"].value_counts().index[0] == "NA" and aes["region"].nunique() == 4


def test_departed_reps_own_no_open_deals(sample):
    opps = sample["opportunities"]
    left = sample["reps"].loc[sample["reps"]["end_date"].notna(), "rep_id"]
    assert left.isin(sample["reps"].loc[sample["reps"]["role"] == "AE", "rep_id"]).any()
    assert not opps.loc[~opps["is_closed"], "rep_id"].isin(left).any()


def test_new_aes_ramp(sample):
    reps, opps = sample["reps"], sample["opportunities"]
    won = opps[opps["is_won"]].merge(reps[["rep_id", "hire_date"]], on="rep_id")
    start = END - pd.DateOffset(years=3)
    cohort = reps[(reps["role"] == "AE") & (reps["hire_date"] > start)
                  & (reps["hire_date"] + pd.Timedelta(days=365) <= END) & reps["end_date"].isna()]
    won = won[won["rep_id"].isin(cohort["rep_id"])]
    month = (won["close_date"] - won["hire_date"]).dt.days // 30
    first_months = won.loc[month < 3, "amount"].sum() / 3
    later_months = won.loc[month.between(6, 11), "amount"].sum() / 6
    assert len(cohort) >= 3
    assert first_months < 0.5 * later_months


def test_top_performers_differ_in_mix_and_conversion(sample, closed_with_segment):
    acts = sample["activities"]
    closed = closed_with_segment
    per_rep = closed.groupby("rep_id").agg(deals=("is_won", "size"), win_rate=("is_won", "mean"),
                                           segment=("segment", "first"))
    demos = acts[acts["type"] == "demo"].groupby("rep_id").size().reindex(per_rep.index, fill_value=0)
    emails = acts[(acts["type"] == "email") & acts["opportunity_id"].notna()].groupby("rep_id").size()
    emails = emails.reindex(per_rep.index, fill_value=0)
    per_rep["demos_per_deal"] = demos / per_rep["deals"]
    per_rep["email_share"] = emails / (emails + demos)
    per_rep = per_rep[per_rep["deals"] >= 30]
    assert len(per_rep) >= 8
    # compare reps with the others of their segment
    relative = per_rep[["win_rate", "demos_per_deal", "email_share"]].astype(float).groupby(per_rep["segment"]).rank(
        pct=True)
    assert relative["win_rate"].corr(relative["demos_per_deal"]) > 0.3
    assert relative["win_rate"].corr(relative["email_share"]) < -0.2


# -- segments, seasonality, growth ----------------------------------------------------------------


def test_segments_differ_in_size_cycle_and_win_rate(closed_with_segment):
    closed = closed_with_segment
    won = closed[closed["is_won"]]
    size = won.groupby("segment")["amount"].mean()
    assert size["ENT"] > 2.5 * size["MM"] and size["MM"] > 2.5 * size["SMB"]
    assert 5_000 < size["SMB"] < 12_000 and 100_000 < size["ENT"] < 220_000
    cycle = (won["close_date"] - won["created_date"]).dt.days.groupby(won["segment"]).median()
    assert cycle["SMB"] < cycle["MM"] < cycle["ENT"]
    win_rate = closed.groupby("segment")["is_won"].mean()
    assert win_rate["SMB"] > win_rate["MM"] > win_rate["ENT"]
    assert 0.22 < win_rate["SMB"] < 0.38 and 0.1 < win_rate["ENT"] < 0.26


def test_accounts_size_implies_segment(sample):
    accounts = sample["accounts"]
    opps = sample["opportunities"].merge(accounts[["account_id", "employees"]], on="account_id")
    opps = opps.merge(sample["reps"][["rep_id", "segment"]], on="rep_id")
    implied = np.select([opps["employees"] < 200, opps["employees"] < 2000], ["SMB", "MM"], "ENT")
    assert (implied == opps["segment"]).mean() > 0.97  # only reassigned deals may differ
    assert accounts["industry"].dropna().nunique() == 8


def test_bookings_seasonality_and_growth():
    opps = generate_sample("2026-12-31", scale=1.0)["opportunities"]
    won = opps[opps["is_won"]]
    by_month = won.groupby([won["close_date"].dt.year, won["close_date"].dt.month])["amount"].sum()
    monthly = by_month.groupby(level=1).mean()
    assert monthly[12] == monthly.max()
    assert monthly[7] < monthly[6] and monthly[8] < monthly[9]
    deals = won.groupby(won["close_date"].dt.year).size()
    assert 1.1 < deals[2025] / deals[2024] < 1.6 and 1.1 < deals[2026] / deals[2025] < 1.6  # ~30 %/year
    bookings = won.groupby(won["close_date"].dt.year)["amount"].sum()
    assert 1.4 < bookings[2026] / bookings[2024] < 2.3
    quarter_end = won["close_date"].dt.to_period("Q").dt.end_time.dt.normalize()
    last_two_weeks = ((quarter_end - won["close_date"]).dt.days < 14).mean()
    assert last_two_weeks > 0.25  # two weeks of thirteen: 15 % without the push


# -- leads and ICP --------------------------------------------------------------------------------


def test_leads_convert_more_with_engagement_seniority_and_fit(sample):
    leads = sample["leads"]
    decided = leads[leads["status"].isin(["converted", "disqualified"])]
    assert 2.5 < len(leads) / len(sample["opportunities"]) < 5
    engagement = decided["email_clicks"] + decided["form_fills"] + decided["demo_requests"]
    high = engagement > engagement.median()
    assert decided.loc[high, "converted"].mean() > 1.5 * decided.loc[~high, "converted"].mean()
    senior = decided["title"].str.match(r"(C[EFOTI]O|VP )")
    assert decided.loc[senior, "converted"].mean() > decided.loc[~senior, "converted"].mean()
    by_industry = decided.groupby("industry")["converted"].mean()
    assert by_industry["Software"] > by_industry["Public Sector"]


def test_lead_score_is_learnable(sample):
    leads = sample["leads"]
    decided = leads[leads["status"].isin(["converted", "disqualified"])]
    score = np.log1p(decided[["email_clicks", "form_fills", "demo_requests", "page_views"]].astype(float)).sum(axis=1)
    ranks = score.rank()
    positive = decided["converted"].to_numpy(bool)
    auc = (ranks[positive].sum() - positive.sum() * (positive.sum() + 1) / 2) / (positive.sum() * (~positive).sum())
    assert auc > 0.65  # engagement alone; with fit, title and source a model does better


def test_icp_industries_win_more(closed_with_segment, sample):
    closed = closed_with_segment.merge(sample["accounts"][["account_id", "industry"]], on="account_id")
    by_industry = closed.groupby("industry")["is_won"].mean()
    assert by_industry[["Software", "Finance", "Logistics"]].mean() > by_industry[
        ["Education", "Public Sector", "Retail"]].mean()


# -- forecasts, products, orders ------------------------------------------------------------------


def test_forecast_submissions_and_bias(sample):
    subs = sample["forecast_submissions"]
    assert set(subs["category"]) == {"commit", "best_case"}
    day = subs["submitted_date"].dt.day
    assert (day <= 16).all()
    period_start = subs["period"].map(lambda p: pd.Period(p, "Q").start_time)
    assert (subs["submitted_date"] >= period_start).all()
    wide = subs.pivot_table(index=["rep_id", "period"], columns="category", values="amount")
    assert (wide["best_case"] >= wide["commit"]).all()
    opps = sample["opportunities"]
    won = opps[opps["is_won"]]
    actual = won.groupby(["rep_id", won["close_date"].dt.to_period("Q").astype(str)])["amount"].sum()
    closed_quarters = wide[wide.index.get_level_values("period") < "2026Q2"]
    ratio = (closed_quarters["commit"] / actual.reindex(closed_quarters.index)).replace(np.inf, np.nan).dropna()
    per_rep = ratio.groupby(level="rep_id").median()
    assert 0.8 < per_rep.median() < 1.25
    optimistic = (per_rep > 1.25).mean()
    assert 0.03 < optimistic < 0.4


def test_products_and_hardware_orders(sample):
    products = sample["products"]
    hardware = products[products["kind"] == "hardware"]
    assert len(hardware) >= 1 and 5 <= len(products) <= 6
    assert hardware["on_hand"].notna().all() and hardware["lead_time_days"].notna().all()
    assert (hardware["unit_cost"] < hardware["unit_price"]).all()
    orders = sample["orders"]
    assert orders["product"].isin(hardware["product"]).all()
    assert set(orders["region"]) == {"NA", "EMEA", "APAC", "LATAM"}
    assert orders["order_id"].is_unique
    assert sample["opportunities"]["product"].isin(hardware["product"]).any()


# -- planted defects ------------------------------------------------------------------------------


def test_planted_defects(sample):
    opps, accounts, leads, acts = (sample[t] for t in ("opportunities", "accounts", "leads", "activities"))
    open_ = opps[~opps["is_closed"]]
    stale = (open_["close_date"] < END).mean()
    assert 0.06 < stale < 0.15
    no_activity = (~opps["opportunity_id"].isin(acts["opportunity_id"])).mean()
    assert 0.03 <= no_activity <= 0.06
    duplicates = accounts["name"].map(normalise_name).duplicated().mean()
    assert 0.01 < duplicates < 0.03
    assert 0.03 < accounts["industry"].isna().mean() < 0.07
    assert leads["industry"].isna().any()
    assert 0.01 < leads["email"].duplicated().mean() < 0.04


def test_other_end_date_and_history_length():
    end = pd.Timestamp("2026-05-17")  # a Sunday in mid-quarter
    frames = generate_sample(end, scale=0.1, seed=1, history_years=2)
    opps = frames["opportunities"]
    assert opps["created_date"].max() <= end
    assert (opps.loc[opps["is_closed"], "close_date"] <= end).all()
    assert frames["orders"]["order_date"].min() >= end - pd.DateOffset(years=2)
    assert (frames["activities"]["timestamp"] < end + pd.Timedelta(days=1)).all()
    assert "2026Q2" in set(frames["forecast_submissions"]["period"])


# -- building blocks shared by the generator's modules ---------------------------------------------


def test_sequential_ids_pad_and_widen():
    assert list(sequential_ids("R", 3, 4)) == ["R0001", "R0002", "R0003"]
    assert list(sequential_ids("X", 12, 1))[::11] == ["X01", "X12"]  # wider than asked when n needs it
    assert len(sequential_ids("L", 0, 7)) == 0


def test_clock_months_run_from_the_warm_up_to_the_end_date():
    clock = Clock(pd.Timestamp("2025-07-01"), pd.Timestamp("2026-06-17"))
    assert clock.n_months == WARM_UP_MONTHS + 12  # January 2025 to June 2026
    assert clock.month_start[0] == day_number(pd.Timestamp("2025-01-01"))
    assert clock.month_last[-1] == clock.end == day_number(pd.Timestamp("2026-06-17"))
    assert (clock.month_days[-1], clock.full_month_days[-1]) == (17, 30)  # June cut at the 17th
    assert list(clock.month_of_year[:2]) == [1, 2]
    assert list(clock.month_index(clock.month_start[[0, 6]] + 1)) == [0, 6]


def test_to_weekday_moves_weekend_days_within_the_last_day():
    friday, saturday, sunday, monday = (day_number(pd.Timestamp(d)) for d in
                                        ("2026-06-26", "2026-06-27", "2026-06-28", "2026-06-29"))
    assert weekday(np.array([friday, monday])).tolist() == [4, 0]
    moved = to_weekday(np.array([friday, saturday, sunday]), last=monday)
    assert moved.tolist() == [friday, friday, monday]
    assert to_weekday(np.array([sunday]), last=sunday).tolist() == [friday]  # Monday would be too late


def test_pick_weighted_picks_a_candidate_with_the_same_key_or_none():
    rng = np.random.default_rng(0)
    cand_keys = np.array([1, 2, 2, 3])
    weights = np.array([1.0, 0.0, 1.0, 0.0])
    picks = pick_weighted(rng, np.array([1, 2, 2, 3, 4] * 20), cand_keys, weights)
    assert set(picks[0::5]) == {0} and set(picks[1::5]) == {2} and set(picks[2::5]) == {2}
    assert set(picks[3::5]) == {-1}  # key 3 has only a zero-weight candidate
    assert set(picks[4::5]) == {-1}  # no candidate with key 4
    assert pick_weighted(rng, np.array([1]), np.array([], dtype=np.int64), np.array([])).tolist() == [-1]
