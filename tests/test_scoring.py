"""Unit tests of salesops.collect.scoring: hand-made frames with hand-computed expectations, plus the sample company
(scale 0.3) for what only a real-sized set can show: the model learns the planted signal, and nothing from
after the training cut-off reaches it."""

from __future__ import annotations

import subprocess
import sys
from functools import partial

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal
from pydantic import ValidationError

from salesops.collect import scoring
from salesops.collect.scoring import ScoringSettings
from salesops.contract.schema import TEXT_DTYPE
from salesops.data.sample import generate_sample

import builders

AS_OF = pd.Timestamp("2026-12-31")


#: rows: (lead_id, created_date, industry, employees, region, title, email_opens, email_clicks, page_views,
#: form_fills, demo_requests, source, status, converted, converted_date) -> canonical dtypes.
make_leads = partial(builders.make_leads, columns=[
    "lead_id", "created_date", "industry", "employees", "region", "title", "email_opens", "email_clicks", "page_views",
    "form_fills", "demo_requests", "source", "status", "converted", "converted_date"])


def lead(lead_id, created, converted=False, converted_date=None, status="open", **values):
    row = {"industry": "Software", "employees": 100, "region": "NA", "title": "Analyst", "email_opens": 0,
           "email_clicks": 0, "page_views": 0, "form_fills": 0, "demo_requests": 0, "source": "web"}
    row.update(values)
    return (lead_id, created, row["industry"], row["employees"], row["region"], row["title"], row["email_opens"],
            row["email_clicks"], row["page_views"], row["form_fills"], row["demo_requests"], row["source"],
            status, converted, converted_date)


@pytest.fixture(scope="module")
def sample_leads() -> pd.DataFrame:
    return generate_sample(end_date="2026-12-31", scale=0.3)["leads"]


@pytest.fixture(scope="module")
def sample_split(sample_leads):
    return scoring.split_by_time(sample_leads, AS_OF, ScoringSettings())


@pytest.fixture(scope="module")
def sample_result(sample_leads):
    return scoring.score_leads(sample_leads, AS_OF, ScoringSettings())


# --------------------------------------------------------------------------------------------------
# title seniority


def test_title_seniority_keyword_rules():
    titles = pd.Series(
        ["CEO", "Chief Revenue Officer", "co-founder", "President", "Managing Director", "CISO",
         "VP Sales", "Senior Vice President, Operations", "svp finance",
         "IT Director", "Head of Marketing",
         "Operations Manager", "Team Lead", "sales mgr",
         "Analyst", "Product Owner", "Engineer",
         None, "   "],
        index=range(10, 29), dtype=TEXT_DTYPE,
    )
    expected = (["C-level"] * 6 + ["VP"] * 3 + ["Director"] * 2 + ["Manager"] * 3
                + ["Individual contributor"] * 3 + ["Unknown"] * 2)
    result = scoring.title_seniority(titles)
    assert_series_equal(result, pd.Series(pd.array(expected, dtype=TEXT_DTYPE), index=titles.index,
                                          name="title_seniority"))


def test_title_seniority_covers_the_sample_titles(sample_leads):
    levels = scoring.title_seniority(sample_leads["title"])
    assert set(levels.unique()) == {"C-level", "VP", "Director", "Manager", "Individual contributor"}
    assert levels[sample_leads["title"] == "Finance Director"].eq("Director").all()


# --------------------------------------------------------------------------------------------------
# rule score


RULE_SETTINGS = ScoringSettings(
    fit_points={"industry": {"Software": 20, "Retail": 5}, "employees": {0: 0, 50: 6, 200: 10, 2000: 5},
                "region": {"NA": 5}, "seniority": {"C-level": 15, "VP": 15, "Director": 10, "Manager": 5},
                "source": {}},
    half_life_days=30,
)  # most attainable: 20 + 10 + 5 + 15 fit + 5 + 10 + 10 + 10 + 15 engagement caps = 100 (no source points;
#    the frames have no last_activity_date, so no recency points)


@pytest.fixture
def three_leads() -> pd.DataFrame:
    return make_leads([
        # 30 days old: weight 0.5
        lead("A", "2026-12-01", industry="Software", employees=500, region="NA", title="VP Sales", email_opens=3,
             email_clicks=1, page_views=20, form_fills=0, demo_requests=1),
        # created on as_of: weight 1
        lead("B", "2026-12-31", industry="retail ", employees=40, region="LATAM", title="Analyst", email_opens=10,
             email_clicks=0, page_views=4, form_fills=3, demo_requests=0),
        # 60 days old: weight 0.25; nothing known but size and page views
        lead("C", "2026-11-01", industry=None, employees=2500, region=None, title=None, email_opens=None,
             email_clicks=None, page_views=8, form_fills=None, demo_requests=None),
    ])


def test_rule_scores_by_hand(three_leads):
    result = scoring.rule_scores(three_leads, AS_OF, RULE_SETTINGS)
    # A: fit 20 + 10 + 5 + 15 = 50; engagement (3 + 2 + min(20, 10) + 0 + 15) = 30, x 0.5 = 15 -> 65
    # B: fit 5 (industry matched ignoring case and spaces) + 0 (< 50 employees) + 0 + 0 = 5;
    #    engagement min(10, 5) + 0 + 4 + min(15, 10) + 0 = 19, x 1 -> 24
    # C: fit 5 (2000+ band); engagement 8 x 0.25 = 2 -> 7
    expected = pd.DataFrame({
        "lead_id": pd.array(["A", "B", "C"], dtype=TEXT_DTYPE),
        "fit_points": [50.0, 5.0, 5.0], "engagement_points": [15.0, 19.0, 2.0], "recency_points": [0.0, 0.0, 0.0],
        "rule_score": [65.0, 24.0, 7.0],
    })
    assert_frame_equal(result, expected)


def test_rule_scores_at_creation_have_no_decay(three_leads):
    result = scoring.rule_scores(three_leads, None, RULE_SETTINGS)
    assert result["engagement_points"].tolist() == [30.0, 19.0, 8.0]
    assert result["rule_score"].tolist() == [80.0, 24.0, 13.0]


def test_rule_scores_clip_negative_totals_and_rescale_to_present_columns(three_leads):
    negative = RULE_SETTINGS.model_copy(update={"fit_points": RULE_SETTINGS.fit_points.model_copy(
        update={"industry": {"Software": 20, "Retail": -30}})})
    assert scoring.rule_scores(three_leads, AS_OF, negative)["rule_score"].tolist() == [65.0, 0.0, 7.0]
    # without demo requests the most attainable points are 85: A gets (50 + (3 + 2 + 10) x 0.5) / 85
    without = scoring.rule_scores(three_leads.drop(columns="demo_requests"), AS_OF, RULE_SETTINGS)
    assert without["rule_score"].tolist() == pytest.approx([100 * 57.5 / 85, 100 * 24 / 85, 100 * 7 / 85])


def test_rule_scores_reject_leads_created_after_as_of(three_leads):
    with pytest.raises(ValueError, match=r"as_of \(2026-12-30\) is before the creation of 1 lead"):
        scoring.rule_scores(three_leads, "2026-12-30", RULE_SETTINGS)


def test_grades_by_rank_top_tenth_is_a():
    # ten distinct scores, in shuffled order: the best is A (top 10 %), the next two B (20 %), three C, four D
    scores = pd.Series([0.31, 0.02, 0.90, 0.45, 0.05, 0.60, 0.12, 0.08, 0.70, 0.20], index=range(5, 15))
    expected = ["C", "D", "A", "C", "D", "B", "D", "D", "B", "C"]
    assert_series_equal(scoring.grades(scores), pd.Series(pd.array(expected, dtype=TEXT_DTYPE), index=scores.index,
                                                          name="grade"))


def test_grades_ties_share_the_better_grade_and_missing_has_none():
    # 20 scores: two tied at the top (10 % above neither) are both A; a missing score is not counted
    scores = pd.Series([100.0, 100.0] + list(range(18)) + [None], dtype="float64")
    result = scoring.grades(scores)
    assert result.iloc[:2].tolist() == ["A", "A"]
    assert result.iloc[2:20].value_counts().to_dict() == {"D": 8, "C": 6, "B": 4}
    assert pd.isna(result.iloc[20])
    settings = ScoringSettings(grade_shares={"A": 0.5, "B": 0.25, "C": 0.25})
    assert scoring.grades(pd.Series([4.0, 3.0, 2.0, 1.0]), settings).tolist() == ["A", "A", "B", "C"]


# --------------------------------------------------------------------------------------------------
# time-honest split


def test_time_windows():
    w = scoring.time_windows(AS_OF, ScoringSettings())
    assert (w.outcome_cutoff, w.test_start, w.train_cutoff, w.train_end) == (
        pd.Timestamp("2026-10-02"), pd.Timestamp("2026-04-03"), pd.Timestamp("2026-04-02"),
        pd.Timestamp("2026-01-02"))


def test_split_by_time_labels_as_known_at_each_cut_off():
    leads = make_leads([
        lead("T1", "2025-12-01", True, "2025-12-20", "converted"),
        lead("T2", "2025-12-01", True, "2026-05-01", "converted"),  # converted after the train cut-off
        lead("T3", "2026-01-02", False, None, "disqualified"),       # last day of train
        lead("G1", "2026-01-03", True, "2026-01-10", "converted"),  # gap: outcome unknown on the train cut-off
        lead("S1", "2026-04-03", True, "2026-11-01", "converted"),  # first day of test
        lead("S2", "2026-10-02", False, None, "working"),           # last day of test
        lead("N1", "2026-10-03", True, "2026-10-05", "converted"),  # outcome not known yet
        lead("T4", "2025-06-01", True, None, "converted"),          # no date: assumed within outcome_days
        lead("T5", "2025-06-01", None, "2025-06-09", "converted"),  # flag missing, date filled in
    ])
    train, test = scoring.split_by_time(leads, AS_OF, ScoringSettings())
    assert train["lead_id"].tolist() == ["T1", "T2", "T3", "T4", "T5"]
    assert train["label"].tolist() == [1, 0, 0, 1, 1]
    assert test["lead_id"].tolist() == ["S1", "S2"]
    assert test["label"].tolist() == [1, 0]
    assert list(train.columns) == list(leads.columns) + ["label"]
    assert leads["converted"].tolist()[:2] == [True, True]  # the input is not modified


def _future_leads(base: pd.DataFrame, windows: scoring.TimeWindows, n: int = 600) -> pd.DataFrame:
    """Leads created after the train end (gap, test window, no known outcome yet) with an impossible signal:
    page_views = 5000 exactly when converted."""
    rng = np.random.default_rng(7)
    future = base.sample(n, random_state=7).reset_index(drop=True)
    span = (windows.as_of - windows.train_end).days
    created = windows.train_end + pd.to_timedelta(rng.integers(1, span + 1, n), unit="D")
    converted = np.arange(n) % 2 == 0
    return future.assign(
        lead_id=pd.array([f"F{i:05d}" for i in range(n)], dtype=base["lead_id"].dtype),
        created_date=created.astype("datetime64[ns]"),
        converted=pd.array(converted, dtype="boolean"),
        converted_date=pd.Series(created).where(converted).astype("datetime64[ns]"),
        page_views=pd.array(np.where(converted, 5000, 0), dtype="Int64"),
    )


def test_nothing_after_the_train_cut_off_reaches_training(sample_leads, sample_split):
    settings = ScoringSettings()
    windows = scoring.time_windows(AS_OF, settings)
    future = _future_leads(sample_leads, windows)
    assert (future["created_date"] > windows.train_end).all()
    with_future = pd.concat([sample_leads, future], ignore_index=True)

    train, test = sample_split
    train_future, test_future = scoring.split_by_time(with_future, AS_OF, settings)
    assert_frame_equal(train_future, train)
    model = scoring.fit_model(train, settings)
    model_future = scoring.fit_model(train_future, settings)
    coefficients = model.named_steps["model"].coef_
    assert np.array_equal(model_future.named_steps["model"].coef_, coefficients)
    assert np.array_equal(scoring.predict_probability(model_future, test), scoring.predict_probability(model, test))

    # the signal is strong enough to show if it leaked: trained on those leads too, the model changes a lot
    leaked = pd.concat([train, future.assign(label=future["converted"].astype(int))], ignore_index=True)
    leaked_coefficients = scoring.fit_model(leaked, settings).named_steps["model"].coef_
    assert np.abs(leaked_coefficients - coefficients).max() > 0.5


def test_a_conversion_after_the_train_cut_off_is_not_a_training_conversion(sample_leads):
    settings = ScoringSettings()
    windows = scoring.time_windows(AS_OF, settings)
    converted = sample_leads.index[(sample_leads["created_date"] <= windows.train_end)
                                   & sample_leads["converted"].fillna(False)]
    moved = sample_leads.copy()
    moved.loc[converted[:50], "converted_date"] = windows.train_cutoff + pd.Timedelta(days=1)
    train, _ = scoring.split_by_time(moved, AS_OF, settings)
    labels = train.set_index("lead_id")["label"]
    assert (labels[moved.loc[converted[:50], "lead_id"].tolist()] == 0).all()
    assert (labels[moved.loc[converted[50:], "lead_id"].tolist()] == 1).all()


# --------------------------------------------------------------------------------------------------
# the model on the sample company


def test_model_finds_the_planted_signal_and_not_a_shuffled_one(sample_split):
    train, test = sample_split
    settings = ScoringSettings()
    rule = scoring.rule_scores(test, None, settings)
    metrics = scoring.evaluate(scoring.fit_model(train, settings), test, rule).set_index("score")
    assert metrics.loc["model", "roc_auc"] > 0.75
    assert metrics.loc["model", "top_decile_lift"] > 2.5
    assert metrics.loc["model", "roc_auc"] > metrics.loc["rule", "roc_auc"] > 0.6  # rules know part of the ICP
    assert metrics.loc["model", "brier"] < metrics.loc["rule", "brier"]

    shuffled = train.assign(label=np.random.default_rng(0).permutation(train["label"].to_numpy()))
    noise = scoring.evaluate(scoring.fit_model(shuffled, settings), test, rule).set_index("score")
    assert 0.4 < noise.loc["model", "roc_auc"] < 0.6


def test_a_large_training_set_is_fitted_on_a_seeded_sample(sample_split):
    # more training leads than max_fit_rows: the model is the one fitted on that many rows drawn with random_state
    train, test = sample_split
    settings = ScoringSettings(max_fit_rows=2_000)
    assert len(train) > 2_000
    model = scoring.fit_model(train, settings)
    rows = np.sort(np.random.default_rng(settings.random_state).choice(len(train), 2_000, replace=False))
    by_hand = scoring.fit_model(train.iloc[rows], ScoringSettings())
    assert np.array_equal(model.named_steps["model"].coef_, by_hand.named_steps["model"].coef_)
    assert not np.array_equal(model.named_steps["model"].coef_,
                              scoring.fit_model(train, ScoringSettings()).named_steps["model"].coef_)
    assert np.array_equal(scoring.fit_model(train, settings).named_steps["model"].coef_,
                          model.named_steps["model"].coef_)  # the same sample every time


def test_evaluate_matches_rule_scores_by_lead_id_or_by_position(sample_split):
    train, test = sample_split
    model = scoring.fit_model(train, ScoringSettings())
    rule = scoring.rule_scores(test, None, ScoringSettings())
    by_position = scoring.evaluate(model, test, rule["rule_score"].to_numpy())
    by_id = scoring.evaluate(model, test, rule.sample(frac=1.0, random_state=1))
    assert_frame_equal(by_id, by_position)
    assert by_id.columns.tolist() == ["score", "leads", "converted", "conversion_rate", "roc_auc",
                                      "top_decile_lift", "brier"]
    with pytest.raises(ValueError, match="no rule score for 1 test lead"):
        scoring.evaluate(model, test, rule.iloc[1:])


def test_score_leads_on_the_sample(sample_leads, sample_result):
    result = sample_result
    scores = result.scores
    assert scores.columns.tolist() == ["lead_id", "probability", "score", "grade", "rule_score"]
    assert scores.dtypes.astype(str).tolist() == ["string", "float64", "Int64", "string", "float64"]
    statuses = sample_leads.set_index("lead_id").loc[scores["lead_id"].astype(object), "status"]
    assert set(statuses) <= {"open", "working"}
    assert len(scores) == int(sample_leads["status"].isin(["open", "working"]).sum())
    assert (scores["score"].to_numpy() == np.floor(100 * scores["probability"] + 0.5)).all()
    assert scores["grade"].tolist() == scoring.grades(scores["probability"]).tolist()
    assert scores["grade"].value_counts()["A"] == pytest.approx(0.1 * len(scores), abs=1)
    assert scores["score"].is_monotonic_decreasing
    assert scores["rule_score"].between(0, 100).all()

    assert result.metrics["score"].tolist() == ["model", "rule"]
    assert result.metrics["leads"].tolist() == [result.test_leads] * 2
    assert result.calibration["leads"].sum() == result.test_leads
    assert result.train_leads > 10_000 and result.test_leads > 3_000
    summary = result.split_summary
    assert summary["set"].tolist() == ["train", "test"]
    assert summary["leads"].tolist() == [result.train_leads, result.test_leads]
    assert result.feature_importance.columns.tolist() == ["feature", "importance", "direction", "odds_ratio"]
    assert len(result.feature_importance) == 12
    assert result.notes == ("The rule score gives no points for last_activity_date (not in the leads table) and "
                            "is scaled to the points that remain.",)
    assert result.scored_with.startswith("model refitted on all")
    assert (result.model_reason, result.rule_reason, result.scored_by) == ("", "", "model")
    assert result.leakage["verdict"].eq("used").all()  # the sample company records nothing after the outcome
    assert result.grade_lift["grade"].tolist() == ["A", "B", "C", "D"]
    assert result.grade_lift["lift"].is_monotonic_decreasing and result.grade_lift.loc[0, "lift"] > 2.5
    assert result.lead_scores is result.scores


def test_score_leads_is_deterministic(sample_leads, sample_result):
    again = scoring.score_leads(sample_leads, AS_OF, ScoringSettings())
    assert_frame_equal(again.scores, sample_result.scores)
    assert_frame_equal(again.metrics, sample_result.metrics)


def test_score_leads_with_gradient_boosting_and_missing_columns(sample_leads):
    leads = sample_leads.drop(columns=["demo_requests", "title"])
    result = scoring.score_leads(leads, AS_OF, ScoringSettings(model="gradient_boosting"))
    assert result.features == (("employees", "email_opens", "email_clicks", "page_views", "form_fills"),
                               ("industry", "region", "source"))
    assert "Model features not in the leads table, left out: demo_requests, title_seniority." in result.notes
    assert result.metrics.set_index("score").loc["model", "roc_auc"] > 0.7
    assert result.feature_importance["direction"].eq("n/a").all()
    assert result.feature_importance["feature"].iloc[0] == "page_views"


# --------------------------------------------------------------------------------------------------
# open leads


def test_open_leads_mask():
    leads = make_leads([
        lead("O1", "2026-12-01", status="open"),
        lead("O2", "2026-12-01", status=" Working "),
        lead("O3", "2026-12-01", status=None),
        lead("X1", "2026-12-01", status="Disqualified"),
        lead("X2", "2026-12-01", True, "2026-12-10", status="working"),  # converted: never open
        lead("X3", "2027-01-02", status="open"),                          # not created yet
        lead("L1", "2026-12-01", True, "2027-01-05", status="converted"),  # converted after as_of: open then
    ])
    assert scoring.open_leads_mask(leads, AS_OF).tolist() == [True, True, True, False, False, False, True]


# --------------------------------------------------------------------------------------------------
# metrics by hand


def test_calibration_table_by_hand():
    y = [0, 1, 0, 1, 1, 0]
    p = [0.05, 0.15, 0.12, 0.55, 0.95, 1.0]
    expected = pd.DataFrame({
        "bin": pd.array(["0.00-0.10", "0.10-0.20", "0.50-0.60", "0.90-1.00"], dtype=TEXT_DTYPE),
        "predicted": [0.05, 0.135, 0.55, 0.975], "observed": [0.0, 0.5, 1.0, 0.5],
        "leads": pd.array([1, 2, 1, 2], dtype="Int64"),
    })
    assert_frame_equal(scoring.calibration_table(y, p, bins=10), expected)
    two = scoring.calibration_table(y, p, bins=2)
    assert two["bin"].tolist() == ["0.00-0.50", "0.50-1.00"]
    assert two["observed"].tolist() == pytest.approx([1 / 3, 2 / 3])


def test_calibration_table_rejects_bad_input():
    with pytest.raises(ValueError, match="within 0-1"):
        scoring.calibration_table([0, 1], [0.5, 1.2])
    with pytest.raises(ValueError, match="same length"):
        scoring.calibration_table([0, 1], [0.5])
    with pytest.raises(ValueError, match="bins must be a whole number"):
        scoring.calibration_table([0, 1], [0.5, 0.5], bins=0)


def test_top_decile_lift_by_hand():
    # 20 leads, 5 converted (25 %); the top 2 by score hold 1 conversion (50 %): lift 2
    score = np.arange(20, 0, -1)
    y = np.array([1, 0, 1, 1, 0, 0, 1, 1] + [0] * 12)
    assert scoring.top_decile_lift(y, score) == pytest.approx(2.0)
    # ties at the boundary count in proportion: top 1 of 10 is one of two leads tied at 5 (one converted):
    # expected top rate 0.5, overall 2 / 10 -> 2.5, whatever the row order
    y = np.array([1, 0, 0, 0, 0, 0, 0, 1, 0, 0])
    score = np.array([5, 5, 1, 1, 1, 1, 1, 1, 1, 1])
    assert scoring.top_decile_lift(y, score) == pytest.approx(2.5)
    assert scoring.top_decile_lift(y[::-1], score[::-1]) == pytest.approx(2.5)
    assert np.isnan(scoring.top_decile_lift([0, 0], [1, 2]))


# --------------------------------------------------------------------------------------------------
# bad settings and too little data


@pytest.mark.parametrize("settings, message", [
    ({"grade_shares": {"A": 0.5, "B": 0.4, "C": 0.3}}, "at most 1"),
    ({"grade_shares": {"A": 0}}, r"expected a share above 0 and below 1"),
    ({"test_months": 3, "min_test_months": 4}, "must not exceed test_months"),
    ({"leakage": {"max_single_feature_auc": 0.4}}, "expected a ROC AUC above 0.5 and at most 1"),
    ({"half_life_days": 0}, "expected a number of days above 0"),
    ({"numeric_features": [], "categorical_features": []}, "both empty"),
    ({"numeric_features": ["employees", "status"]}, "'status' cannot be a model feature"),
    ({"categorical_features": ["industry", "employees"]}, "both numeric and categorical"),
    ({"numeric_features": ["page_views", "page_views"]}, "list of lead columns, each once"),
    ({"fit_points": {"seniority": {"Boss": 10}}}, r"seniority level to points \(names: C-level, VP"),
    ({"fit_points": {"employees": {-5: 1}}}, "a whole number of employees, 0 or more"),
    ({"engagement_points": {"page_views": {"points": 1, "max_points": 0}}}, "expected a number of points above 0"),
    ({"fit_points": {"industry": {}, "employees": {}, "region": {}, "seniority": {}, "source": {}},
      "engagement_points": {}, "recency": {"points": 0}}, "no lead any positive points"),
    ({"outcome_days": 0}, "expected a whole number of days from 1 to 3,650"),
    ({"model": "random_forest"}, "'logistic' or 'gradient_boosting'"),
    ({"test_month": 3}, "Extra inputs are not permitted"),
])
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(ValidationError, match=message):
        ScoringSettings.model_validate(settings)


def test_settings_are_frozen_and_round_trip():
    settings = ScoringSettings()
    with pytest.raises(ValidationError):
        settings.model = "gradient_boosting"
    assert ScoringSettings.model_validate(settings.model_dump(mode="json")) == settings


def test_too_few_known_leads_say_how_many_more_and_the_rule_score_still_runs():
    rows = [lead(f"L{i:03d}", pd.Timestamp("2025-06-01") + pd.Timedelta(days=i), converted=i % 4 == 0,
                 converted_date=pd.Timestamp("2025-06-05") + pd.Timedelta(days=i) if i % 4 == 0 else None,
                 status="converted" if i % 4 == 0 else "disqualified")
            for i in range(40)] + [lead("OPEN", "2026-12-20")]
    result = scoring.score_leads(make_leads(rows), AS_OF)
    # every window down to the 2-month test window (train cut-off 2026-08-02, train end 2026-05-04) is short
    assert result.model_reason == (
        "even the widest training window (leads created up to 2026-05-04, tested on the 2 month(s) of known leads "
        "up to 2026-10-02) is short: too few training leads: 40 lead(s) (10 converted), at least 200 needed "
        "(160 more); too few test leads: 0 lead(s) (0 converted), at least 50 needed (50 more). Wait for more "
        "outcomes, add older leads, or lower scoring.min_class_leads / min_train_leads / min_test_leads or "
        "scoring.outcome_days.")
    assert result.model is None and result.scored_by == "rule score" and result.rule_reason == ""
    assert result.scores["lead_id"].tolist() == ["OPEN"]
    # without a model the open lead's probability is its rule grade's conversion rate among the 40 known leads
    assert result.metrics["score"].tolist() == ["rule"] and result.metrics["leads"].tolist() == [40]
    assert result.scores["probability"].iloc[0] == result.grade_lift.set_index("grade").loc["A", "conversion_rate"]


def test_one_outcome_only_says_how_many_conversions_are_missing():
    rows = [lead(f"L{i:03d}", pd.Timestamp("2024-06-01") + pd.Timedelta(days=2 * i), status=None)
            for i in range(400)]
    result = scoring.score_leads(make_leads(rows), AS_OF)
    assert "training leads have 0 converted lead(s); at least 10 are needed, so 10 more conversion(s)" in (
        result.model_reason)
    # without a status, leads more than 180 days old are stale, not open: created before 2026-07-04, i.e. L000 to
    # L381 (L381: 2026-07-02, 182 days); L382 (2026-07-04, 180 days) to L399 stay open
    assert result.stale_leads == 382
    assert sorted(result.scores["lead_id"]) == [f"L{i:03d}" for i in range(382, 400)]
    assert (result.scores["probability"] == 0.0).all()  # no known lead of their grade converted
    with pytest.raises(ValueError, match="at least 1 of each outcome"):
        scoring.fit_model(scoring.split_by_time(make_leads(rows), AS_OF)[0], ScoringSettings())


def test_bad_arguments():
    with pytest.raises(ValueError, match="as_of must be a date"):
        scoring.time_windows("not a date")
    with pytest.raises(ValueError, match="missing required column"):
        scoring.rule_scores(pd.DataFrame({"lead_id": ["A"]}), AS_OF)
    with pytest.raises(ValueError, match="settings must be a ScoringSettings"):
        scoring.rule_scores(make_leads([lead("A", "2026-12-01")]), AS_OF, {"model": "logistic"})
    with pytest.raises(ValueError, match="'label' column"):
        scoring.fit_model(make_leads([lead("A", "2026-12-01")]), ScoringSettings())


def test_importing_the_module_does_not_import_scikit_learn():
    code = "import sys, salesops.collect.scoring; sys.exit('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
