"""The loop: last quarter's plan against what happened — hand-computed tiny frames for each comparison, where
the previous report is found, the sentences, and two consecutive sample quarters run end to end."""

from __future__ import annotations

import html
import math

import pandas as pd
import pytest
import yaml

from salesops.collect import plan_review
from salesops.runner.run import run_quarter

Q_START, Q_END = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-03-31")


def opportunity_rows(rows) -> pd.DataFrame:
    """(rep_id, close_date, amount, is_won) rows as an opportunities frame, on an index that is not 0..n-1."""
    frame = pd.DataFrame(rows, columns=["rep_id", "close_date", "amount", "is_won"])
    frame["close_date"] = pd.to_datetime(frame["close_date"])
    frame["is_won"] = frame["is_won"].astype("boolean")
    return frame.set_axis([10 * i + 7 for i in range(len(frame))])


@pytest.fixture
def opportunities() -> pd.DataFrame:
    return opportunity_rows([
        ("R1", "2027-01-01", 100.0, True),   # first day of the quarter: in
        ("R1", "2027-03-31", 20.0, True),    # last day: in
        ("R2", "2027-02-10", 100.0, True),
        ("R3", "2027-02-11", 100.0, True),
        ("R4", "2027-01-20", 50.0, True),
        ("X9", "2027-03-01", 70.0, True),    # no quota in the plan
        ("R2", "2027-02-15", 999.0, False),  # lost: never bookings
        ("R1", "2026-12-31", 500.0, True),   # the day before the quarter
        ("R3", "2027-04-01", 500.0, True),   # the day after
        ("R3", None, 500.0, pd.NA),          # open, no close date
    ])


def comparison_rows(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["method", "scenario", "bookings"]).assign(weight=0.5)


@pytest.fixture
def previous_comparison() -> pd.DataFrame:
    return comparison_rows([
        ("statistical", "downside", 300.0), ("statistical", "base", 400.0), ("statistical", "upside", 500.0),
        ("blended", "downside", 500.0), ("blended", "base", 600.0), ("blended", "upside", 700.0),
    ])


@pytest.fixture
def previous_target() -> pd.DataFrame:
    return pd.DataFrame({"quarter": ["2027Q1"], "target": [500.0], "basis": ["set in the params"]})


@pytest.fixture
def previous_quotas() -> pd.DataFrame:
    return pd.DataFrame({
        "rep_id": ["R1", "R2", "R3", "R4", "R5"],
        "name": ["Ann", "Bo", "Cy", "Di", "Ed"],
        "role": ["AE"] * 5, "segment": ["SMB", "MM", "SMB", "ENT", "SMB"], "region": ["NA"] * 5,
        "new_hire": [False, False, False, False, True],
        "quota": [100.0, 200.0, 100.0, 100.0, 0.0],
    }).set_axis([5, 4, 3, 2, 1])


@pytest.fixture
def reps() -> pd.DataFrame:
    frame = pd.DataFrame({
        "rep_id": ["R1", "R2", "R3", "R4", "R5", "N1", "N2", "N3", "S1", "S2", "M1"],
        "name": ["Ann", "Bo", "Cy", "Di", "Ed", "Fay", "Gus", "Hal", "Ida", "Jo", "Kim"],
        "role": ["AE", "AE", "AE", "AE", "AE", "AE", "AE", "AE", "SDR", "SE", "MANAGER"],
        "segment": ["SMB", "MM", "SMB", "ENT", "SMB", "SMB", "ENT", "SMB", None, None, None],
        "hire_date": ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-01", "2027-02-15",
                      "2027-01-15", "2027-03-31", "2026-12-31", "2027-02-01", "2027-02-02", "2027-01-10"],
        "end_date": [None, None, "2027-03-31", "2027-02-28", None, None, None, None, None, None, None],
    })
    return frame.assign(hire_date=pd.to_datetime(frame["hire_date"]), end_date=pd.to_datetime(frame["end_date"]))


@pytest.fixture
def previous_hiring_plan() -> pd.DataFrame:
    return pd.DataFrame({
        "role": ["AE", "AE", "AE", "SDR", "CONSULTANT", "CSM"],
        "segment": ["SMB", "MM", "MM", "All", "All", "All"],
        "ds": pd.to_datetime(["2027-02-01", "2027-01-01", "2027-04-01", "2027-03-01", "2027-03-01", "2026-12-01"]),
        "hires": [2, 1, 5, 1, 3, 4],
    })


# --------------------------------------------------------------------------------------------------
# where the previous report is


def finished_report(folder, artifact="demand_comparison"):
    (folder / "data").mkdir(parents=True)
    pd.DataFrame({"x": [1]}).to_parquet(folder / "data" / f"{artifact}.parquet")
    return folder / "data"


def test_previous_report_found_beside_this_quarters_report(tmp_path):
    previous = finished_report(tmp_path / "reports" / "2026Q4")
    assert plan_review.previous_report_dir(tmp_path / "reports" / "2027Q1" / "data", "2027Q1") == previous


def test_previous_report_found_from_the_runners_build_folder(tmp_path):
    previous = finished_report(tmp_path / "reports" / "2027Q1")
    final = tmp_path / "reports" / "2027Q2"
    build = final.with_name(f".build-{final.name}")  # as run.run_quarter builds it
    assert plan_review.previous_report_dir(build / "data", "2027Q2") == previous


def test_previous_report_found_beside_a_custom_out_folder(tmp_path):
    previous = finished_report(tmp_path / "elsewhere" / "2026Q4")
    final = tmp_path / "elsewhere" / "my-plan"  # salesops run 2027Q1 --out elsewhere/my-plan
    assert plan_review.previous_report_dir(final.with_name(f".build-{final.name}") / "data", "2027Q1") == previous
    assert plan_review.previous_report_dir(final / "data", "2027Q1") == previous


def test_no_previous_report_when_absent_empty_or_not_the_quarter_before(tmp_path):
    out = tmp_path / "reports" / "2027Q1" / "data"
    assert plan_review.previous_report_dir(out, "2027Q1") is None
    (tmp_path / "reports" / "2026Q4" / "data").mkdir(parents=True)  # a folder without artifacts
    assert plan_review.previous_report_dir(out, "2027Q1") is None
    finished_report(tmp_path / "reports" / "2026Q3")
    assert plan_review.previous_report_dir(out, "2027Q1") is None


def test_previous_quarter_follows_the_fiscal_year(tmp_path):
    previous = finished_report(tmp_path / "reports" / "2026Q4")  # February start: FY2027 Q1 is Feb–Apr 2026
    assert plan_review.previous_report_dir(tmp_path / "reports" / "2027Q1" / "data", "2027Q1", 2) == previous


def test_read_previous_plan_reads_only_the_artifacts_present(tmp_path):
    data = finished_report(tmp_path / "2026Q4", "hiring_plan")
    assert list(plan_review.read_previous_plan(data)) == ["hiring_plan"]
    assert plan_review.read_previous_plan(None) == {}


# --------------------------------------------------------------------------------------------------
# forecast against actual


def test_forecast_vs_actual_by_hand(previous_comparison, previous_target, opportunities):
    table = plan_review.forecast_vs_actual(previous_comparison, previous_target, opportunities, Q_START, Q_END)
    # won in [2027-01-01, 2027-03-31]: 100 + 20 + 100 + 100 + 50 + 70 = 440
    assert list(table.columns) == list(plan_review.FORECAST_REVIEW_COLUMNS)
    assert table[["method", "scenario"]].values.tolist() == [
        ["statistical", "downside"], ["statistical", "base"], ["statistical", "upside"],
        ["blended", "downside"], ["blended", "base"], ["blended", "upside"]]
    assert (table["actual"] == 440.0).all() and (table["quarter"] == "2027Q1").all()
    assert table["error"].tolist() == [140.0, 40.0, -60.0, -60.0, -160.0, -260.0]
    assert table["error_pct"].tolist() == pytest.approx([140 / 300, 40 / 400, -60 / 500, -60 / 500, -160 / 600,
                                                         -260 / 700])
    assert table["within_range"].tolist() == [True] * 3 + [False] * 3  # 300 ≤ 440 ≤ 500; 440 < 500
    assert table[["downside", "upside"]].iloc[4].tolist() == [500.0, 700.0]
    assert (table["target"] == 500.0).all() and table["actual_vs_target"].iloc[0] == pytest.approx(440 / 500 - 1)


def test_forecast_vs_actual_edges(opportunities):
    comparison = comparison_rows([("pipeline", "downside", 0.0), ("pipeline", "base", 0.0),
                                  ("pipeline", "upside", 440.0)])
    table = plan_review.forecast_vs_actual(comparison, None, opportunities, Q_START, Q_END)
    assert math.isnan(table["error_pct"].iloc[0]) and table["error_pct"].iloc[2] == 0.0
    assert table["within_range"].tolist() == [True] * 3  # the upside bound itself is inside
    assert table["quarter"].isna().all() and table["target"].isna().all()
    no_upside = plan_review.forecast_vs_actual(comparison.iloc[:2], None, opportunities, Q_START, Q_END)
    assert no_upside["within_range"].isna().all() and len(no_upside) == 2


# --------------------------------------------------------------------------------------------------
# quota attainment


def test_quota_attainment_by_hand(previous_quotas, opportunities, reps):
    per_rep, team = plan_review.quota_attainment(previous_quotas, opportunities, reps, Q_START, Q_END)
    assert list(per_rep.columns) == list(plan_review.ATTAINMENT_COLUMNS)
    rows = per_rep.set_index("rep_id")
    assert rows["bookings"].to_dict() == {"R1": 120.0, "R2": 100.0, "R3": 100.0, "R4": 50.0, "R5": 0.0}
    assert rows.loc[["R1", "R2", "R3", "R4"], "attainment"].tolist() == [1.2, 0.5, 1.0, 0.5]
    assert math.isnan(rows.at["R5", "attainment"]) and pd.isna(rows.at["R5", "made_quota"])  # quota 0
    assert rows.loc[["R1", "R2", "R3"], "made_quota"].tolist() == [True, False, True]  # exactly 100 % made it
    # R3 left on the quarter's last day: a full quarter; R4 left in February: not counted
    assert rows["left_before_quarter_end"].tolist() == [False, False, False, True, False]
    assert rows["in_reps_table"].all()
    assert rows["counted"].to_dict() == {"R1": True, "R2": True, "R3": True, "R4": False, "R5": False}
    assert per_rep["rep_id"].tolist()[:2] == ["R1", "R3"]  # highest attainment first
    assert team.iloc[0].to_dict() == {
        "reps": 3, "reps_at_or_above_quota": 2, "share_at_or_above_quota": pytest.approx(2 / 3),
        "median_attainment": 1.0, "total_quota": 400.0, "total_bookings": 320.0, "total_attainment": 0.8,
        "reps_left": 1, "reps_not_in_reps_table": 0, "bookings_without_quota": 70.0}


def test_quota_attainment_without_a_reps_table_counts_every_positive_quota(previous_quotas, opportunities):
    per_rep, team = plan_review.quota_attainment(previous_quotas[["rep_id", "quota"]], opportunities, None, Q_START,
                                                 Q_END)
    assert per_rep["left_before_quarter_end"].isna().all() and per_rep["in_reps_table"].isna().all()
    assert per_rep["name"].isna().all()
    assert team.at[0, "reps"] == 4 and team.at[0, "total_bookings"] == 370.0 and team.at[0, "reps_left"] == 0


def test_a_planned_hires_placeholder_quota_is_not_counted(previous_quotas, opportunities, reps):
    with_placeholder = pd.concat([previous_quotas, pd.DataFrame({"rep_id": ["NEW-SMB-1"], "quota": [50.0]})])
    per_rep, team = plan_review.quota_attainment(with_placeholder, opportunities, reps, Q_START, Q_END)
    placeholder = per_rep.set_index("rep_id").loc["NEW-SMB-1"]
    assert not placeholder["in_reps_table"] and not placeholder["counted"] and placeholder["attainment"] == 0.0
    assert team.at[0, "reps"] == 3 and team.at[0, "reps_not_in_reps_table"] == 1 and team.at[0, "total_quota"] == 400
    review = plan_review.review_previous_plan({"quotas": with_placeholder}, True, opportunities, reps, "2027Q2",
                                              "2027-03-31")
    assert plan_review.review_sentences(review)[1].startswith(
        "2 of 3 reps made quota (not counted: 1 who left during the quarter; 1 not in the reps table, such as a "
        "planned hire); ")


# --------------------------------------------------------------------------------------------------
# hires against plan


def test_hires_against_plan_by_hand(previous_hiring_plan, reps):
    table = plan_review.hires_against_plan(previous_hiring_plan, reps, Q_START, Q_END)
    assert list(table.columns) == list(plan_review.HIRES_REVIEW_COLUMNS)
    # planned in Q1: AE SMB 2 (Feb), AE MM 1 (Jan), SDR 1, CONSULTANT 3; AE MM in April and CSM in December are
    # outside. Started in Q1: AE SMB R5 + N1 (N3 started the day before), AE ENT N2 (last day), SDR S1, SE S2;
    # the manager is not a planned role.
    assert table[["role", "segment", "planned"]].values.tolist() == [
        ["AE", "SMB", 2], ["AE", "MM", 1], ["AE", "ENT", 0], ["SE", "All", 0], ["SDR", "All", 1],
        ["CONSULTANT", "All", 3]]
    assert table["started"].tolist()[:5] == [2, 0, 1, 1, 1] and pd.isna(table["started"].iloc[5])
    assert table["difference"].tolist()[:5] == [0, -1, 1, 1, 0] and pd.isna(table["difference"].iloc[5])
    assert table["note"].tolist()[:5] == [""] * 5 and "lists no CONSULTANT" in table["note"].iloc[5]


# --------------------------------------------------------------------------------------------------
# inputs, errors


def test_inputs_are_never_modified(previous_comparison, previous_target, previous_quotas, previous_hiring_plan,
                                   opportunities, reps):
    frames = [previous_comparison, previous_target, previous_quotas, previous_hiring_plan, opportunities, reps]
    before = [frame.copy(deep=True) for frame in frames]
    plan_review.review_previous_plan({"demand_comparison": previous_comparison, "planning_target": previous_target,
                                      "quotas": previous_quotas, "hiring_plan": previous_hiring_plan}, True,
                                     opportunities, reps, "2027Q2", "2027-03-31")
    for frame, copy in zip(frames, before):
        pd.testing.assert_frame_equal(frame, copy)


@pytest.mark.parametrize("call, missing", [
    (lambda f: plan_review.forecast_vs_actual(f["comparison"].drop(columns="bookings"), None, f["opps"], Q_START,
                                              Q_END),
     "previous demand_comparison is missing required column(s) ['bookings']"),
    (lambda f: plan_review.forecast_vs_actual(f["comparison"], f["target"].drop(columns="target"), f["opps"], Q_START,
                                              Q_END),
     "previous planning_target is missing required column(s) ['target']"),
    (lambda f: plan_review.quota_attainment(f["quotas"], f["opps"].drop(columns=["is_won", "amount"]), None, Q_START,
                                            Q_END),
     "opportunities is missing required column(s) ['amount', 'is_won']"),
    (lambda f: plan_review.quota_attainment(f["quotas"].drop(columns="quota"), f["opps"], None, Q_START, Q_END),
     "previous quotas is missing required column(s) ['quota']"),
    (lambda f: plan_review.hires_against_plan(f["plan"].drop(columns="ds"), f["reps"], Q_START, Q_END),
     "previous hiring_plan is missing required column(s) ['ds']"),
    (lambda f: plan_review.hires_against_plan(f["plan"], f["reps"].drop(columns="hire_date"), Q_START, Q_END),
     "reps is missing required column(s) ['hire_date']"),
])
def test_missing_columns_are_named(call, missing, previous_comparison, previous_target, previous_quotas,
                                   previous_hiring_plan, opportunities, reps):
    frames = {"comparison": previous_comparison, "target": previous_target, "quotas": previous_quotas,
              "plan": previous_hiring_plan, "opps": opportunities, "reps": reps}
    with pytest.raises(ValueError, match=missing.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        call(frames)


def test_a_reversed_quarter_is_refused(previous_comparison, opportunities):
    with pytest.raises(ValueError, match="quarter_start .* must not be after quarter_end"):
        plan_review.forecast_vs_actual(previous_comparison, None, opportunities, Q_END, Q_START)


# --------------------------------------------------------------------------------------------------
# the review and its sentences


def test_review_sentences_by_hand(previous_comparison, previous_target, previous_quotas, previous_hiring_plan,
                                  opportunities, reps):
    review = plan_review.review_previous_plan({"demand_comparison": previous_comparison,
                                               "planning_target": previous_target, "quotas": previous_quotas,
                                               "hiring_plan": previous_hiring_plan}, True,
                                              opportunities, reps, "2027Q2", "2027-03-31")
    assert set(review.artifacts()) == {"plan_review_forecast", "plan_review_attainment",
                                       "plan_review_attainment_team", "plan_review_hires"}
    assert plan_review.review_sentences(review) == [
        "2027Q1: booked $440 against a base forecast of $600 (-27%), outside the downside–upside range of "
        "$500–$700; 12% below the target of $500.",
        "2 of 3 reps made quota (not counted: 1 who left during the quarter); median attainment was 100%, and "
        "together they booked $320 against $400 of quota (80%).",
        "In 2027Q1, 3 of 3 planned AE hires started; supporting roles: 2 started against 1 planned (SE 1 against 0, "
        "SDR 1 against 1); the planned 3 CONSULTANT hires cannot be checked, because the reps table does not list "
        "that role.",
    ]


def test_review_names_the_closest_method_and_a_partial_quarter(opportunities, reps):
    comparison = comparison_rows([
        (method, scenario, value * factor) for method, factor in (("statistical", 1.0), ("pipeline", 0.5),
                                                                 ("blended", 0.75))
        for scenario, value in (("downside", 300.0), ("base", 400.0), ("upside", 500.0))])
    review = plan_review.review_previous_plan({"demand_comparison": comparison}, True, opportunities, reps, "2027Q2",
                                              "2027-02-28")
    # up to 28 Feb: 100 (R1, 1 Jan) + 100 (R2) + 100 (R3) + 50 (R4) = 350; blended base 300 (+17%)
    sentences = plan_review.review_sentences(review)
    assert sentences[0].startswith("2027Q1: booked $350 up to 28 Feb 2027 against a base forecast of $300 (+17%), "
                                   "inside the downside–upside range of $225–$375.")
    assert sentences[1] == "Of the forecast methods, statistical came closest (-12%) and pipeline was furthest off (+75%)."


def test_without_a_blended_forecast_the_first_method_is_the_plan(opportunities):
    pipeline_only = comparison_rows([("pipeline", "downside", 400.0), ("pipeline", "base", 500.0),
                                     ("pipeline", "upside", 600.0)])
    review = plan_review.review_previous_plan({"demand_comparison": pipeline_only}, True, opportunities, None, "2027Q2",
                                              "2027-03-31")
    assert plan_review.review_sentences(review)[0] == (
        "2027Q1: booked $440 against a pipeline base forecast of $500 (-12%), "
        "inside the downside–upside range of $400–$600.")
    empty = plan_review.review_previous_plan({"demand_comparison": pipeline_only.iloc[:0]}, True, opportunities, None,
                                             "2027Q2", "2027-03-31")
    assert plan_review.review_sentences(empty)[0] == (
        "The 2027Q1 forecast cannot be compared with actual bookings: the plan's forecast has no base scenario.")


def test_missing_previous_artifacts_each_get_one_sentence_saying_why(opportunities):
    target_of_2027q1 = pd.DataFrame({"quarter": ["2027Q1"], "target": [1.0]})
    review = plan_review.review_previous_plan({"planning_target": target_of_2027q1}, True, opportunities, None, "2027Q2",
                                              "2027-03-31")
    assert review.artifacts() == {}
    assert plan_review.review_sentences(review, "EUR") == [
        "The 2027Q1 forecast cannot be compared with actual bookings: the 2027Q1 report has no demand comparison, "
        "so it was made without step 2, which writes it.",
        "Quota attainment in 2027Q1 cannot be measured: the 2027Q1 report has no quotas, so it was made without "
        "step 4, which writes it.",
        "Hires in 2027Q1 cannot be compared with the plan: the 2027Q1 report has no hiring plan, so it was made "
        "without step 3, which writes it.",
    ]


def test_hires_need_hire_dates_and_the_previous_report_must_plan_the_quarter_before(previous_hiring_plan,
                                                                                   opportunities, reps):
    review = plan_review.review_previous_plan({"hiring_plan": previous_hiring_plan}, True, opportunities,
                                              reps.drop(columns="hire_date"), "2027Q2", "2027-03-31")
    assert review.missing["hires"] == "this quarter's data has no reps table with hire dates to see who started"
    target_of_2026q4 = pd.DataFrame({"quarter": ["2026Q4"], "target": [1.0]})
    other = plan_review.review_previous_plan({"hiring_plan": previous_hiring_plan, "planning_target": target_of_2026q4},
                                             True, opportunities, reps, "2027Q2", "2027-03-31")
    assert other.artifacts() == {} and "plans 2026Q4, not 2027Q1" in plan_review.review_sentences(other)[2]


def test_no_previous_report_gives_no_findings_and_the_first_quarter_sentence(opportunities):
    review = plan_review.review_previous_plan({}, False, opportunities, None, "2027Q1", "2026-12-31")
    assert plan_review.review_sentences(review) == [] and review.artifacts() == {}
    assert plan_review.no_previous_report_sentence("2027Q1") == (
        "2027Q1 is the first planned quarter in this report folder (there is no 2026Q4 report beside it), so there "
        "is no earlier plan to compare with what happened yet.")


# --------------------------------------------------------------------------------------------------
# two consecutive sample quarters, end to end


@pytest.fixture(scope="module")
def two_quarters(tmp_path_factory):
    base = tmp_path_factory.mktemp("loop")
    params = base / "fast.yaml"  # a small company and the fast forecast candidates: about 25 s a quarter
    params.write_text(yaml.safe_dump({"sample": {"scale": 0.2}, "forecast": {"profile": "fast"}}), encoding="utf-8")
    for quarter in ("2027Q1", "2027Q2"):
        run_quarter(quarter, params_path=params, out_dir=base / "reports" / quarter, log=lambda _: None)
    return {quarter: base / "reports" / quarter for quarter in ("2027Q1", "2027Q2")}


@pytest.mark.e2e
def test_first_quarter_says_there_is_nothing_to_compare(two_quarters):
    first = two_quarters["2027Q1"]
    assert "2027Q1 is the first planned quarter in this report folder" in (first / "01_collect.html").read_text()
    assert not list((first / "data").glob("plan_review_*"))


@pytest.mark.e2e
def test_second_quarter_compares_the_first_ones_forecast_with_its_actuals(two_quarters):
    first, second = two_quarters["2027Q1"] / "data", two_quarters["2027Q2"] / "data"
    planned = pd.read_parquet(first / "demand_comparison.parquet")
    review = pd.read_parquet(second / "plan_review_forecast.parquet")
    assert (review["quarter"] == "2027Q1").all() and len(review) == len(planned) == 12
    assert review["forecast"].tolist() == planned["bookings"].tolist()
    deals = pd.read_parquet(second / "table_opportunities.parquet")
    won = deals["is_won"].fillna(False) & deals["close_date"].between("2027-01-01", "2027-03-31")
    assert review["actual"].iloc[0] == pytest.approx(deals.loc[won, "amount"].sum()) and review["actual"].iloc[0] > 0
    target = pd.read_parquet(first / "planning_target.parquet")["target"].iloc[0]
    assert (review["target"] == target).all()

    blended = review[(review["method"] == "blended") & (review["scenario"] == "base")].iloc[0]
    findings = pd.read_parquet(second / "summary_01_collect.parquet").query("kind == 'finding'")["display"].tolist()
    assert findings[0].startswith(f"2027Q1: booked ${blended['actual'] / 1e6:.2f}M against a base forecast of "
                                  f"${blended['forecast'] / 1e6:.2f}M")
    page = (two_quarters["2027Q2"] / "01_collect.html").read_text()
    assert "Last quarter&#x27;s plan against what happened" in page or "Last quarter's plan against what happened" in page
    assert "2027Q1: forecast by method and scenario against bookings won" in page
    assert "first planned quarter" not in page


@pytest.mark.e2e
def test_second_quarter_compares_the_first_ones_hires_with_who_started(two_quarters):
    first, second = two_quarters["2027Q1"] / "data", two_quarters["2027Q2"] / "data"
    plan = pd.read_parquet(first / "hiring_plan.parquet")
    review = pd.read_parquet(second / "plan_review_hires.parquet")
    in_quarter = plan[plan["ds"].between("2027-01-01", "2027-03-31")]
    assert review.groupby("role")["planned"].sum().to_dict() == {
        role: int(in_quarter.loc[in_quarter["role"] == role, "hires"].sum()) for role in review["role"].unique()}
    reps = pd.read_parquet(second / "table_reps.parquet")
    joined = reps[reps["hire_date"].between("2027-01-01", "2027-03-31") & reps["role"].isin(plan_review.PLANNED_ROLES)]
    assert int(review["started"].sum()) == len(joined)
    assert "2027Q1: hires planned to start against people who started" in (
        two_quarters["2027Q2"] / "01_collect.html").read_text()


@pytest.mark.e2e
def test_second_quarter_measures_quota_attainment_of_the_first_ones_quotas(two_quarters):
    first, second = two_quarters["2027Q1"] / "data", two_quarters["2027Q2"] / "data"
    findings = pd.read_parquet(second / "summary_01_collect.parquet").query("kind == 'finding'")["display"].tolist()
    quotas = pd.read_parquet(first / "quotas.parquet")
    per_rep = pd.read_parquet(second / "plan_review_attainment.parquet")
    team = pd.read_parquet(second / "plan_review_attainment_team.parquet").iloc[0]
    assert sorted(per_rep["rep_id"]) == sorted(quotas["rep_id"])
    assert per_rep.set_index("rep_id")["quota"].to_dict() == quotas.set_index("rep_id")["quota"].to_dict()
    counted = per_rep[per_rep["counted"]]
    assert team["reps"] == len(counted) and team["total_quota"] == pytest.approx(counted["quota"].sum())
    made = f"{int(team['reps_at_or_above_quota'])} of {int(team['reps'])} reps made quota"
    assert any(text.startswith(made) for text in findings), findings
    assert "2027Q1: quota attainment of the team" in (two_quarters["2027Q2"] / "01_collect.html").read_text()


@pytest.mark.e2e
def test_second_quarters_executive_summary_shows_the_first_ones_plan_against_actuals(two_quarters):
    review = pd.read_parquet(two_quarters["2027Q2"] / "data" / "last_quarter_review.parquet")["sentence"]
    index = (two_quarters["2027Q2"] / "index.html").read_text()
    assert review.iloc[0].startswith("2027Q1: booked") and html.escape(review.iloc[0]) in index
    assert "2027Q1: booked" not in (two_quarters["2027Q1"] / "index.html").read_text()


@pytest.mark.e2e
def test_second_quarter_backtests_every_method_on_the_first_ones_forecasts(two_quarters):
    """Without a stage history, the forecasts the 2027Q1 report made of 2027Q1, every method's, are set against
    what the quarter booked; the blend weighs the methods by those errors."""
    second = two_quarters["2027Q2"] / "data"
    backtest = pd.read_parquet(second / "method_backtest.parquet")
    made = pd.read_parquet(two_quarters["2027Q1"] / "data" / "demand_comparison.parquet").query(
        "scenario == 'base' and method != 'blended'")
    assert backtest["quarter"].unique().tolist() == ["2027Q1"]
    assert sorted(backtest["method"]) == sorted(made["method"]) and "leads" in set(backtest["method"])
    assert sorted(backtest["forecast"]) == sorted(made["bookings"])
    deals = pd.read_parquet(second / "table_opportunities.parquet")
    won = deals["is_won"].fillna(False) & deals["close_date"].between("2027-01-01", "2027-03-31")
    assert backtest["actual"].iloc[0] == pytest.approx(deals.loc[won, "amount"].sum())
    basis = pd.read_parquet(second / "demand_comparison.parquet")["weight_basis"].iloc[0]
    assert "backtest error" in basis
    first = two_quarters["2027Q1"] / "data"
    assert not (first / "method_backtest.parquet").exists()  # the first quarter had nothing to backtest on
