"""Lead scoring on any funnel (issue 19): the rule score and the learned model run without each other, source
and recency points, the leakage guard, the widening training window, grades by rank, mixed dates and stale
leads. Tiny hand-made frames with hand-computed expectations; one whole quarter on a leads table without any
rule column (e2e)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from pandas.testing import assert_frame_equal, assert_series_equal

from salesops.collect import scoring
from salesops.collect import overview as collect_overview
from salesops.collect.scoring import ScoringSettings
from salesops.contract import schema, validation
from salesops.contract.schema import TEXT_DTYPE

from builders import tiny_export, write_export

AS_OF = pd.Timestamp("2026-12-31")

#: Settings small enough for funnels of a few hundred leads.
SMALL = dict(min_train_leads=20, min_test_leads=20, min_class_leads=5)


def funnel(n: int = 600, seed: int = 3, leak: bool = False) -> pd.DataFrame:
    """``n`` leads created from 2024-07-01 to 2026-12-31 with no rule column: ``visits`` drives conversion
    (converted when visits + noise > 12, ten days after creation); the last 120 days' leads are open. With
    ``leak``, ``closing_note`` is filled only for converted leads (written after the outcome)."""
    rng = np.random.default_rng(seed)
    created = pd.Timestamp("2024-07-01") + pd.to_timedelta(np.sort(rng.integers(0, 913, n)), unit="D")
    visits = rng.integers(0, 20, n)
    converted = visits + rng.normal(0, 4, n) > 12
    recent = created > AS_OF - pd.Timedelta(days=120)
    converted &= ~recent
    frame = pd.DataFrame({
        "lead_id": pd.array([f"L{i:04d}" for i in range(n)], dtype=TEXT_DTYPE),
        "created_date": created.astype("datetime64[ns]"),
        "visits": pd.array(visits, dtype="Int64"),
        "converted": pd.array(converted, dtype="boolean"),
        "converted_date": pd.Series(created + pd.Timedelta(days=10)).where(converted).astype("datetime64[ns]"),
        "status": pd.array(np.where(converted, "converted", np.where(recent, "open", "disqualified")),
                           dtype=TEXT_DTYPE),
    })
    if leak:
        frame["closing_note"] = pd.array(np.where(converted, "signed", None), dtype=TEXT_DTYPE)
    return frame


MODEL_ONLY = ScoringSettings(numeric_features=["visits"], categorical_features=[], **SMALL)


# --------------------------------------------------------------------------------------------------
# the rule score and the learned model, each without the other


def test_the_model_runs_on_leads_without_any_rule_column():
    leads = funnel()
    result = scoring.score_leads(leads, AS_OF, MODEL_ONLY)
    assert result.rule_reason.startswith("no rule points apply to these leads")
    assert (result.model_reason, result.scored_by) == ("", "model")
    assert result.metrics["score"].tolist() == ["model"]
    assert result.metrics.loc[0, "roc_auc"] > 0.8  # visits drive conversion
    assert result.scores["rule_score"].isna().all() and result.scores["probability"].notna().all()
    assert len(result.scores) == int((leads["status"] == "open").sum())
    cards = {card.label: card.display for card in collect_overview.scoring_cards(result)}
    assert cards["Rule score accuracy (AUC)"] == "not run"
    assert cards["Model accuracy (AUC)"] == f"{result.metrics.loc[0, 'roc_auc']:.2f}"
    assert f"The rule score did not run: {result.rule_reason}" in collect_overview.scoring_sentences(result)


def test_the_rule_score_runs_without_an_outcome_and_gives_no_probability():
    leads = funnel().drop(columns=["converted", "converted_date"]).assign(
        source=pd.array(["Partner referral", "cold list"] * 300, dtype=TEXT_DTYPE))
    result = scoring.score_leads(leads, AS_OF, MODEL_ONLY)
    assert result.model_reason.startswith("the leads have neither a converted nor a converted_date column")
    assert result.scored_by == "rule score" and result.model is None and result.metrics.empty
    # source points only (15 for a referral, 0 for a cold list, out of 15): 100 or 0
    assert set(result.scores["rule_score"]) <= {100.0, 0.0}
    assert result.scores["grade"].tolist() == scoring.grades(result.scores["rule_score"]).tolist()
    assert result.lead_scores is None  # step 2 gets no probabilities it cannot have
    assert "not run" in [card.display for card in collect_overview.scoring_cards(result)]


def test_neither_score_is_a_clear_error_with_both_reasons():
    leads = funnel().drop(columns=["converted", "converted_date"])
    with pytest.raises(ValueError, match=r"neither score can run\. The rule score: no rule points apply .* The "
                                         r"learned model: the leads have neither a converted"):
        scoring.score_leads(leads, AS_OF, MODEL_ONLY)
    result, reason = collect_overview.score_leads_or_reason(leads, AS_OF, MODEL_ONLY)
    assert result is None and reason.startswith("The leads could not be scored: neither score can run")


# --------------------------------------------------------------------------------------------------
# rule points for source and recency


def test_source_points_an_equal_name_first_then_the_first_word_listed():
    points = {"referral": 15, "web": 6, "Google Ads": 12, "paid": 4, "search": 6}
    sources = pd.Series(["Partner Referral", "referral sites", " google ads ", "Google Ads campaign", "paid_search",
                         "Webinar", "cobweb", None, ""], dtype=TEXT_DTYPE)
    assert scoring.source_points(sources, points).tolist() == [15, 15, 12, 12, 4, 6, 0, 0, 0]


def test_rule_score_from_source_alone_by_hand():
    leads = pd.DataFrame({"lead_id": ["A", "B", "C", "D"], "created_date": pd.to_datetime(["2026-12-01"] * 4),
                          "source": ["Referral", "Web form", "outbound call", "Carrier pigeon"]})
    result = scoring.rule_scores(leads, AS_OF)
    # default source points: referral 15 (the most), web form: "form" 8 comes before "web" 6, outbound 0
    assert result["fit_points"].tolist() == [15.0, 8.0, 0.0, 0.0]
    assert result["rule_score"].tolist() == pytest.approx([100.0, 100 * 8 / 15, 0.0, 0.0])


def test_recency_points_by_hand_with_dates_and_date_times_mixed():
    settings = ScoringSettings(fit_points={"industry": {}, "employees": {}, "region": {}, "seniority": {},
                                           "source": {}}, engagement_points={},
                               recency={"column": "last_touch", "points": 10, "half_life_days": 14})
    leads = pd.DataFrame({
        "lead_id": ["A", "B", "C", "D", "E"], "created_date": pd.to_datetime(["2026-11-01"] * 5),
        "last_touch": ["2026-12-31", "2026-12-17 08:30:00", "2026-12-03T23:59", None, "2027-01-05"],
    })
    now = scoring.rule_scores(leads, AS_OF, settings)
    # 0 days: 10 points; 14 days: 5; 28 days: 2.5; none: 0; after as_of: counts as as_of, 10. Out of 10.
    assert now["recency_points"].tolist() == [10.0, 5.0, 2.5, 0.0, 10.0]
    assert now["rule_score"].tolist() == [100.0, 50.0, 25.0, 0.0, 100.0]
    at_creation = scoring.rule_scores(leads, None, settings)  # later activity was not known when created
    assert at_creation["recency_points"].tolist() == [10.0] * 5


# --------------------------------------------------------------------------------------------------
# the leakage guard


def test_single_feature_auc_separating_values_and_an_identifier():
    labels = np.array([1] * 30 + [0] * 30)
    assert scoring.single_feature_auc(pd.Series(["won"] * 30 + ["lost"] * 30), labels) == 1.0
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    identifier = pd.Series([f"ID{i}" for i in range(1000)])
    assert abs(scoring.single_feature_auc(identifier, y) - 0.5) < 0.1  # seen once: says nothing out of fold
    assert np.isnan(scoring.single_feature_auc(pd.Series(["a", "b"]), [0, 0]))


def test_decisive_share_by_hand():
    values = pd.Series(["Closed"] * 25 + ["Ringing"] * 25 + ["Busy"] * 10)
    labels = np.array([1] * 25 + [1] * 5 + [0] * 20 + [1] * 10)
    # 40 conversions; "Closed" (25 leads, all converted) is decisive; "Busy" converts always but has < 20 leads
    assert scoring.decisive_share(values, labels) == pytest.approx(25 / 40)
    numbers = pd.Series(np.arange(100, dtype=float))  # ten bands of ten: the top two bands always convert
    assert scoring.decisive_share(numbers, (np.arange(100) >= 80).astype(int)) == 0.0  # bands of 10 < 20 leads


def test_after_conversion_share_by_hand():
    dates = pd.Series(["2026-03-02", "2026-03-05 10:00", "2026-02-27T09:00", "2026-03-09", None, "2026-01-01"])
    conversion = pd.Series(pd.to_datetime(["2026-03-01", "2026-03-01", "2026-03-01", "2026-03-01", "2026-03-01",
                                           None]))
    converted = [True, True, True, True, True, False]
    # converted with both days: 4; after the conversion day: 3 (2026-02-27 is before); the unconverted one ignored
    assert scoring.after_conversion_share(dates, conversion, converted) == 0.75


def _train_frame() -> pd.DataFrame:
    labels = np.array([1, 0] * 30)
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(60), unit="D")
    conversion = pd.Series(created + pd.Timedelta(days=5)).where(labels == 1)
    return pd.DataFrame({
        "lead_id": [f"T{i}" for i in range(60)], "created_date": created,
        "visits": np.arange(60) % 7, "verdict_note": np.where(labels == 1, "signed", None),
        "called_at": (created + pd.Timedelta(days=9)).strftime("%Y-%m-%d %H:%M"),
        "converted_date": conversion, "label": labels,
    })


def test_leakage_check_leaves_out_a_verdict_and_a_date_after_conversion():
    train = _train_frame()
    settings = ScoringSettings(numeric_features=["visits", "called_at"], categorical_features=["verdict_note"])
    guard = scoring.leakage_check(train, ["visits", "called_at"], ["verdict_note"], settings)
    assert guard["feature"].tolist() == ["visits", "called_at", "verdict_note"]
    assert guard["verdict"].tolist() == ["used", "left out", "left out"]
    assert guard.loc[1, "after_conversion_share"] == 1.0 and "after the conversion for 100%" in guard.loc[1, "reason"]
    assert guard.loc[2, "single_feature_auc"] == 1.0 and "AUC of 1.00" in guard.loc[2, "reason"]
    assert "100% of the conversions have a value after which" in guard.loc[2, "reason"]
    assert guard.loc[0, "reason"] == "" and np.isnan(guard.loc[0, "after_conversion_share"])
    identifier = scoring.leakage_check(train.assign(ref=[f"R{i}" for i in range(60)]), [], ["ref"], settings)
    assert identifier["verdict"].tolist() == ["left out"]
    assert identifier.loc[0, "reason"] == ("100% of the training leads have a value of their own (an identifier): "
                                           "nothing to learn for a new lead")
    kept = settings.model_copy(update={"leakage": settings.leakage.model_copy(update={"keep": ("verdict_note",)})})
    assert scoring.leakage_check(train, ["visits"], ["verdict_note"], kept)["verdict"].tolist() == [
        "used", "kept (scoring.leakage.keep)"]


def test_score_leads_leaves_a_leaking_column_out_and_says_so():
    leads = funnel(leak=True)
    settings = MODEL_ONLY.model_copy(update={"categorical_features": ("closing_note",)})
    result = scoring.score_leads(leads, AS_OF, settings)
    assert result.features == (("visits",), ())
    assert result.leakage.set_index("feature")["verdict"].to_dict() == {"visits": "used", "closing_note": "left out"}
    assert result.metrics.loc[0, "roc_auc"] < 0.99  # the model did not learn the verdict
    sentences = collect_overview.scoring_sentences(result)
    assert any(s.startswith("The leakage guard left out closing_note: alone it ranks the training leads by outcome "
                            "with an AUC of 1.00") for s in sentences)
    everything_leaks = settings.model_copy(update={"numeric_features": ()})
    only_leak = scoring.score_leads(leads.assign(source="web"), AS_OF, everything_leaks)  # the rule score runs
    assert only_leak.model is None and only_leak.model_reason.startswith("the leakage guard left out every model")


# --------------------------------------------------------------------------------------------------
# the training window widens


def _window_leads() -> pd.DataFrame:
    """30 unconverted leads of Oct 2025, 5 leads of 15 Feb 2026 converted on 20 Feb, and 21 test leads of Aug-Sep
    2026 (6 converted)."""
    rows = [(f"U{i}", pd.Timestamp("2025-10-01") + pd.Timedelta(days=i), False, None) for i in range(30)]
    rows += [(f"F{i}", pd.Timestamp("2026-02-15"), True, pd.Timestamp("2026-02-20")) for i in range(5)]
    rows += [(f"S{i}", pd.Timestamp("2026-08-10") + pd.Timedelta(days=2 * i), i < 6,
              pd.Timestamp("2026-08-10") + pd.Timedelta(days=2 * i + 3) if i < 6 else None) for i in range(21)]
    frame = pd.DataFrame(rows, columns=["lead_id", "created_date", "converted", "converted_date"])
    return frame.assign(converted_date=pd.to_datetime(frame["converted_date"]), visits=np.arange(len(frame)) % 5,
                        status="disqualified")


def test_the_training_window_widens_until_enough_conversions():
    # train end by test window: 6 months 2026-01-02, 5 months 2026-02-01, 4 months 2026-03-04: the February
    # conversions reach training only with a 4-month test window (2026-06-03 .. 2026-10-02)
    choice = scoring.choose_windows(_window_leads(), AS_OF, ScoringSettings(**SMALL))
    assert choice.windows.test_months == 4 and choice.windows.train_end == pd.Timestamp("2026-03-04")
    assert (len(choice.train), int(choice.train["label"].sum())) == (35, 5)
    assert (len(choice.test), int(choice.test["label"].sum())) == (21, 6)
    assert choice.note == ("The training window widened to have enough conversions: trained on leads created up to "
                           "2026-03-04 (5 converted), tested on the last 4 month(s) of known leads instead of 6.")
    result = scoring.score_leads(_window_leads(), AS_OF, MODEL_ONLY)
    assert choice.note in result.notes and result.windows.test_months == 4


def test_when_no_window_is_wide_enough_the_reason_says_how_many_more():
    choice = scoring.choose_windows(_window_leads(), AS_OF, ScoringSettings(**{**SMALL, "min_class_leads": 10}))
    assert choice.windows is None
    assert ("training leads have 5 converted lead(s); at least 10 are needed, so 5 more conversion(s); test leads "
            "have 6 converted lead(s); at least 10 are needed, so 4 more conversion(s)") in choice.reason
    assert choice.reason.startswith("even the widest training window (leads created up to 2026-05-04, tested on "
                                    "the 2 month(s)")


# --------------------------------------------------------------------------------------------------
# grades by rank, with their lift


def test_grade_lift_by_hand():
    y = [1, 1, 0, 1, 0, 0, 0, 0, 0, 0]
    score = np.arange(10, 0, -1)  # the first lead scores highest
    table = scoring.grade_lift(y, score)
    # A: the top lead (converted) 1/1; B: the next two 1/2; C: the next three 1/3; D: the last four 0/4; base 3/10
    expected = pd.DataFrame({
        "grade": pd.array(["A", "B", "C", "D"], dtype=TEXT_DTYPE),
        "definition": pd.array(["top 10%", "next 20%", "next 30%", "bottom 40%"], dtype=TEXT_DTYPE),
        "leads": pd.array([1, 2, 3, 4], dtype="Int64"), "converted": pd.array([1, 1, 1, 0], dtype="Int64"),
        "conversion_rate": [1.0, 0.5, 1 / 3, 0.0], "lift": [1 / 0.3, 0.5 / 0.3, (1 / 3) / 0.3, 0.0],
    })
    assert_frame_equal(table, expected)


def test_grades_mean_the_same_at_a_low_conversion_rate():
    # at a 4 % conversion rate every probability is small, yet a tenth of the leads is A
    probability = pd.Series(np.linspace(0.01, 0.09, 50))
    assert scoring.grades(probability).value_counts().to_dict() == {"D": 20, "C": 15, "B": 10, "A": 5}


# --------------------------------------------------------------------------------------------------
# dates and stale leads


def test_dates_and_date_times_mixed_read_as_days():
    values = pd.Series(["2026-03-31", "2026-03-31 14:05:00", "2026-03-31T23:59:59", None, " ", "31.03.2026"],
                       dtype=TEXT_DTYPE)
    expected = pd.Series(pd.to_datetime(["2026-03-31"] * 3 + [None, None, "2026-03-31"]), dtype="datetime64[ns]")
    assert_series_equal(scoring.as_days(values), expected)
    leads = pd.DataFrame({"lead_id": ["A", "B", "C"], "created_date": ["2026-03-01", "2026-03-02 09:15", "2026-03-03"],
                          "converted": [True, True, False],
                          "converted_date": ["2026-03-10 17:45:00", "2026-03-20", None]})
    assert scoring.converted_by(leads, "2026-03-10").tolist() == [True, False, False]


@pytest.mark.parametrize("date_format", [None, "%d/%m/%Y"])
def test_lead_date_columns_accept_dates_and_date_times_mixed(date_format):
    written = ("31/03/2026", "31/03/2026 14:05", "31/03/2026 14:05:59", "31/03/2026 14:05:59+02:00") if date_format \
        else ("2026-03-31", "2026-03-31 14:05", "2026-03-31T14:05:59", "2026-03-31T14:05:59+02:00")
    frame = pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4"], "created_date": ["2026-03-01"] * 4,
                          "converted_date": list(written)})
    rules = validation.MappingRules(date_format=date_format)
    typed, problems = validation.coerce_table(frame, schema.LEADS, "leads.csv", rules)
    assert problems == []
    assert typed["converted_date"].tolist() == [pd.Timestamp("2026-03-31")] * 4


def test_lead_states_by_hand():
    leads = pd.DataFrame({
        "lead_id": ["OLD", "NEW", "TOUCHED", "WON", "LATER"],
        "created_date": pd.to_datetime(["2026-01-01", "2026-12-01", "2026-03-01", "2026-01-01", "2027-01-03"]),
        "converted": [False, False, False, True, False],
        "converted_date": pd.to_datetime([None, None, None, "2026-02-01", None]),
        "last_activity_date": [None, None, "2026-12-20 10:00", None, None],
    })
    # no status column: OLD is 364 days old (> 180): stale; TOUCHED was active 11 days ago: open
    assert scoring.lead_states(leads, AS_OF).tolist() == ["stale", "open", "open", "converted", "not created yet"]
    with_status = leads.assign(status=["working", " ", "disqualified", "converted", None])
    assert scoring.lead_states(with_status, AS_OF).tolist() == ["open", "open", "closed", "converted",
                                                                "not created yet"]
    shorter = ScoringSettings(stale_after_days=5)
    assert scoring.lead_states(with_status, AS_OF, shorter).tolist()[:3] == ["open", "stale", "closed"]


# --------------------------------------------------------------------------------------------------
# a whole quarter on a leads table without any rule column


def _leads_export(n: int = 400) -> pd.DataFrame:
    """Leads as a CRM export holds them: text, dates and date-times mixed, no rule column."""
    leads = funnel(n)
    stamp = np.where(np.arange(n) % 2 == 0, leads["converted_date"].dt.strftime("%Y-%m-%d"),
                     leads["converted_date"].dt.strftime("%Y-%m-%d %H:%M:%S").str.replace("00:00:00", "14:05:00"))
    return pd.DataFrame({
        "lead_id": leads["lead_id"].astype(str), "created_date": leads["created_date"].dt.strftime("%Y-%m-%d"),
        "visits": leads["visits"].astype(str), "converted": leads["converted"].map({True: "true", False: "false"}),
        "converted_date": pd.Series(stamp).where(leads["converted"].to_numpy(), ""),
        "status": leads["status"].astype(str),
    })


@pytest.mark.e2e
def test_a_quarter_on_leads_without_rule_columns_shows_the_learned_model(tmp_path):
    from salesops.runner.run import run_quarter

    tables, leads = tiny_export(), _leads_export()
    # step 2's lead forecast needs deals from leads: the five deals come from five converted leads
    tables["opportunities"]["lead_id"] = leads.loc[leads["converted"] == "true", "lead_id"].head(5).tolist()
    folder = write_export(tmp_path / "export", {**tables, "leads": leads})
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"scoring": {"numeric_features": ["visits"], "categorical_features": [],
                                                  **SMALL}}), encoding="utf-8")
    run_quarter("2027Q1", params_path=params, data_dir=folder, out_dir=tmp_path / "report", log=lambda _: None)
    page = (tmp_path / "report" / "01_collect.html").read_text(encoding="utf-8")
    assert "Model accuracy (AUC)" in page and "How well each score ranked leads whose outcome is known" in page
    assert "The rule score did not run: no rule points apply to these leads" in page
    assert "Open leads are graded by rank of the learned model" in page
    scores = pd.read_parquet(tmp_path / "report" / "data" / "lead_scores.parquet")
    assert len(scores) > 0 and scores["probability"].notna().all() and scores["rule_score"].isna().all()
