"""The deterministic sample company: every canonical table but the stage history, generated from one seed.

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

Modules, one concern each, in the order ``generate_sample`` runs them (every draw comes from one
``numpy.random.Generator`` in this order, so moving a draw changes the company):

* ``knobs`` — every rate, share, size and list the simulation draws from; ``names`` — made-up people and
  company names; ``clock`` — the simulated months (day numbers, the warm-up before the history window);
  ``draws`` — weighted random picks shared by the steps below.
* ``people`` — the team: hires, leavers, managers, ramp-up, and the AEs' deal capacity per month.
* ``accounts`` — the company universe; after the deals, created dates, owners and planted duplicates.
* ``leads`` — lead volume, engagement, conversion and owning SDR.
* ``opportunities`` — owners, amounts, cycles, stage gates, close dates, open and stale deals, and what
  happens to a leaving AE's deals.
* ``activities``, ``submissions`` (forecast submissions) and ``orders`` (hardware).
* ``tables`` — the simulation's arrays as the canonical tables (ids, names, dates, dtypes, planted lead
  duplicates).
* ``generate`` — :func:`generate_sample` and :func:`write_sample`, importable from this package.
"""

from __future__ import annotations

from salesops.data.sample.generate import SAMPLE_TABLES, generate_sample, write_sample
