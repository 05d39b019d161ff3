"""Lead scoring on real leads: the X Education lead-scoring set (9,240 leads, label ``Converted``).

    .venv/bin/python benchmarks/lead_scoring.py

Uses the workbook's own pieces (``scoring.build_pipeline``, ``scoring.leakage_check``, ``scoring.rule_scores``,
``scoring.calibration_table``) on a stratified 70/30 split with a fixed seed (the set has no dates, so the
workbook's time-honest split cannot be used), and reports on the held-out 30 %:

1. **Curated features** (the benchmark since 2026-11): the learned model, logistic and gradient boosting, on
   the columns a person chose, leaving out the known leaks — ROC AUC, top-decile lift, Brier score,
   calibration (largest gap between predicted and observed conversion over bins of 100+ leads), time.
2. **Every column offered** to the leakage guard, untold (all 36 columns but the label): what it leaves out
   and why — in particular whether it catches ``Tags`` and ``Lead Quality``, the sales team's after-contact
   verdicts that leak the outcome — and the model's AUC with the guard's choice, and with the guard's choice
   minus the known leaks it did not catch.
3. **The rule score** with the default points on the columns it can read (``Lead Source`` as ``source``,
   ``TotalVisits`` as ``page_views``), as on the day each lead was created.

Prints Markdown tables for benchmarks/README.md. The data live beside the repository, in
``../shared/data/real/`` (see its SOURCE.md); when that folder is absent the script says so and exits 0.

Curated columns left out, and why:

* ``Tags`` and ``Lead Quality``: filled in by the sales team *after* contacting the lead ("Closed by
  Horizzon", "Will revert after reading the email", "High in Relevance" ...). They leak the outcome.
* ``Lead Profile``: also assigned by staff ("Potential Lead", "Student of SomeSchool"), after contact.
* ``Asymmetrique Activity/Profile Index/Score``: scores of undocumented origin and timing.
* ``Last Notable Activity``: a coarser copy of ``Last Activity``; ``Prospect ID``, ``Lead Number``: ids.

Kept with a caveat: ``Last Activity`` is the lead's *last* recorded activity at export, partly a sales
action ("SMS Sent"); the run prints the AUC without it.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from salesops.collect import scoring

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data" / "real" / "x-education-lead-scoring" / "Leads.csv"
SEED = 42
LABEL = "Converted"

NUMERIC = ["TotalVisits", "Total Time Spent on Website", "Page Views Per Visit"]
CATEGORICAL = [
    "Lead Origin", "Lead Source", "Last Activity", "Specialization", "What is your current occupation",
    "What matters most to you in choosing a course", "How did you hear about X Education", "Country", "City",
    "Do Not Email", "Do Not Call", "Search", "Newspaper Article", "X Education Forums", "Newspaper",
    "Digital Advertisement", "Through Recommendations", "A free copy of Mastering The Interview",
]
#: Filled in by the sales team after contact: they leak the outcome.
LEAKY = ["Tags", "Lead Quality"]
#: Scores of undocumented origin and timing (left out of the curated set; shown only for contrast).
ASYMMETRIQUE = ["Asymmetrique Activity Index", "Asymmetrique Profile Index", "Asymmetrique Activity Score",
                "Asymmetrique Profile Score"]
#: Bins of the calibration table with fewer held-out leads than this are too noisy to judge calibration by.
CALIBRATION_MIN_LEADS = 100


def load(path: Path) -> pd.DataFrame:
    """The leads with 'Select' (the form's "not answered") and blank cells as missing."""
    frame = pd.read_csv(path)
    text = frame.select_dtypes(include="object").columns
    frame[text] = frame[text].apply(lambda column: column.str.strip().replace({"Select": np.nan, "": np.nan}))
    return frame


def fit_and_score(train: pd.DataFrame, test: pd.DataFrame, numeric: list[str], categorical: list[str],
                  model: str) -> dict:
    """Fit on ``train``, score ``test``: AUC, top-decile lift, Brier, calibration gap, seconds."""
    began = time.perf_counter()
    pipeline = scoring.build_pipeline(numeric, categorical, model=model, random_state=SEED)
    pipeline.fit(scoring.prepare_features(train, numeric, categorical), train[LABEL].to_numpy())
    probability = pipeline.predict_proba(scoring.prepare_features(test, numeric, categorical))[:, 1]
    seconds = time.perf_counter() - began
    from sklearn.metrics import roc_auc_score

    y = test[LABEL].to_numpy()
    bins = scoring.calibration_table(y, probability)
    judged = bins[bins["leads"] >= CALIBRATION_MIN_LEADS]
    return {"auc": roc_auc_score(y, probability), "lift": scoring.top_decile_lift(y, probability),
            "brier": float(np.mean((probability - y) ** 2)),
            "calibration_gap": float((judged["observed"] - judged["predicted"]).abs().max()), "seconds": seconds}


def rule_auc(test: pd.DataFrame) -> tuple[float, float]:
    """ROC AUC and top-decile lift of the default rule score on ``test``: ``Lead Source`` read as ``source``
    and ``TotalVisits`` as ``page_views``, scored as on the day each lead was created (the set has no dates)."""
    from sklearn.metrics import roc_auc_score

    leads = pd.DataFrame({"lead_id": test["Prospect ID"].to_numpy(), "created_date": pd.Timestamp("2020-01-01"),
                          "source": test["Lead Source"].to_numpy(), "page_views": test["TotalVisits"].to_numpy()})
    score = scoring.rule_scores(leads, None)["rule_score"].to_numpy()
    y = test[LABEL].to_numpy()
    return float(roc_auc_score(y, score)), scoring.top_decile_lift(y, score)


def main() -> int:
    if not DATA.exists():
        print(f"SKIPPED: the X Education leads are not at {DATA} (the shared data folder beside the repository). "
              "Nothing to benchmark.")
        return 0
    from sklearn.model_selection import train_test_split

    scoring.build_pipeline(NUMERIC, CATEGORICAL)  # imports scikit-learn, so the fit timings below exclude it
    began = time.perf_counter()
    leads = load(DATA)
    constant = [c for c in CATEGORICAL if leads[c].nunique(dropna=False) < 2]
    categorical = [c for c in CATEGORICAL if c not in constant]
    train, test = train_test_split(leads, test_size=0.3, stratify=leads[LABEL], random_state=SEED)
    print(f"{len(leads):,} leads, conversion rate {leads[LABEL].mean():.1%}; train {len(train):,}, "
          f"held-out test {len(test):,} (stratified, seed {SEED})", file=sys.stderr)

    # 1. curated features
    results = {model: fit_and_score(train, test, NUMERIC, categorical, model)
               for model in ("logistic", "gradient_boosting")}
    for model, r in results.items():
        print(f"curated {model:>17}: AUC {r['auc']:.3f}  lift {r['lift']:.2f}  Brier {r['brier']:.3f}  "
              f"calibration gap {r['calibration_gap']:.3f}  fit+predict {r['seconds']:.2f} s", file=sys.stderr)
    without_last = fit_and_score(train, test, NUMERIC, [c for c in categorical if c != "Last Activity"], "logistic")
    print(f"  logistic without Last Activity: AUC {without_last['auc']:.3f}", file=sys.stderr)

    # 2. every column offered to the leakage guard, untold
    offered = [c for c in leads.columns if c != LABEL]
    numeric_all = [c for c in offered if pd.api.types.is_numeric_dtype(leads[c])]
    categorical_all = [c for c in offered if c not in numeric_all]
    guard_began = time.perf_counter()
    guard = scoring.leakage_check(train.assign(label=train[LABEL].to_numpy()), numeric_all, categorical_all)
    guard_seconds = time.perf_counter() - guard_began
    left_out = guard.loc[guard["verdict"] == "left out", "feature"].astype(str).tolist()
    for row in guard.itertuples(index=False):
        flag = "LEFT OUT" if row.verdict == "left out" else "used    "
        print(f"  guard {flag} {row.feature:<48} AUC alone {row.single_feature_auc:.3f}  decisive "
              f"{row.decisive_share:.0%}  {row.reason}", file=sys.stderr)
    chosen_numeric = [c for c in numeric_all if c not in left_out]
    chosen_categorical = [c for c in categorical_all if c not in left_out]
    guarded = {model: fit_and_score(train, test, chosen_numeric, chosen_categorical, model)
               for model in ("logistic", "gradient_boosting")}
    missed = [c for c in LEAKY if c not in left_out]
    guarded_clean = fit_and_score(train, test, chosen_numeric, [c for c in chosen_categorical if c not in LEAKY],
                                  "logistic")
    everything = fit_and_score(train, test, numeric_all, [c for c in categorical_all if c != "Prospect ID"],
                               "logistic")
    for model, r in guarded.items():
        print(f"guard's choice {model:>17}: AUC {r['auc']:.3f}  lift {r['lift']:.2f}  Brier {r['brier']:.3f}  "
              f"calibration gap {r['calibration_gap']:.3f}", file=sys.stderr)

    # 3. the rule score
    rule, rule_lift = rule_auc(test)
    print(f"rule score (default points, Lead Source + TotalVisits): AUC {rule:.3f}, lift {rule_lift:.2f}",
          file=sys.stderr)
    total = time.perf_counter() - began

    caught = {c: ("caught" if c in left_out else "not caught") for c in LEAKY}
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.system()}\n")
    print("| features | leads (train / test) | logistic AUC | gradient boosting AUC | top-decile lift (logistic / GB) "
          "| Brier (logistic / GB) | calibration gap (logistic / GB) | fit + predict (logistic / GB) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, pair in (("curated, without Tags / Lead Quality / Lead Profile / Asymmetrique", results),
                       (f"every column offered, guard's choice (left out: {', '.join(left_out)})", guarded)):
        lo, gb = pair["logistic"], pair["gradient_boosting"]
        print(f"| {name} | {len(train):,} / {len(test):,} | {lo['auc']:.3f} | {gb['auc']:.3f} | {lo['lift']:.2f} / "
              f"{gb['lift']:.2f} | {lo['brier']:.3f} / {gb['brier']:.3f} | {lo['calibration_gap']:.3f} / "
              f"{gb['calibration_gap']:.3f} | {lo['seconds']:.2f} s / {gb['seconds']:.2f} s |")
    print()
    print("| check | result |")
    print("| --- | --- |")
    print(f"| leakage guard, untold, on {len(offered)} columns | left out {', '.join(left_out) or 'nothing'}; "
          f"Tags {caught['Tags']}, Lead Quality {caught['Lead Quality']}; {guard_seconds:.2f} s |")
    print(f"| logistic AUC with every column but the id (no guard) | {everything['auc']:.3f} |")
    print(f"| logistic AUC, guard's choice minus the leaks it missed ({', '.join(missed) or 'none'}) "
          f"| {guarded_clean['auc']:.3f} |")
    print(f"| rule score, default points (Lead Source as source, TotalVisits as page_views) | AUC {rule:.3f}, "
          f"top-decile lift {rule_lift:.2f} |")
    print(f"| whole script | {total:.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
