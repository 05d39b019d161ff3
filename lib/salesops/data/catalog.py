"""The artifact catalog: every table the steps pass to each other, declared once.

An *artifact* is a Parquet file in a report's ``data`` folder (``reports/<quarter>/data/<name>.parquet``): one
step writes it, later steps (or the index page, or the next quarter's plan review) read it. Each is declared
here with

* ``name``: the file stem, e.g. ``quotas``;
* ``producer``: the step that writes it (``01_collect`` … ``04_align``);
* ``columns``: its columns and their kind — ``text``, ``int``, ``float`` (money in the company currency,
  shares as fractions), ``bool``, ``datetime`` (naive, midnight for dates) or ``any``;
* ``consumers``: the steps that read it (``index``: the quarter's summary page);
* ``optional``: whether a run may leave it out (an analysis the data did not support);
* ``more_columns``: whether it may carry columns beyond those declared (one per params dimension, one per
  commission tier, a table's extra export columns an analysis reads).

The validated input tables are artifacts too (``table_<name>``), declared from the data contract
(``contract.schema.TABLES``). ``runner.step.Step`` writes and reads every artifact through this catalog, so a
frame that does not match its declaration stops the run at the write, naming artifact, column, expected and
found; and ``tests/test_artifact_catalog.py`` checks in a second that the notebooks and the library write and
read exactly what is declared.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salesops.contract import schema
from salesops.errors import DataError

COLLECT, DEMAND, SUPPLY, ALIGN = "01_collect", "02_demand", "03_supply", "04_align"
#: The steps in run order; ``INDEX`` reads artifacts too (the quarter's summary page, ``runner.run``).
STEPS: tuple[str, ...] = (COLLECT, DEMAND, SUPPLY, ALIGN)
INDEX = "index"

#: Kinds of column, and the pandas dtypes of each (``pd.api.types`` checks, so ``Int64`` and ``int64`` are
#: both ``int``). ``int`` and ``float`` accept each other (a missing value turns whole numbers into floats).
KINDS: tuple[str, ...] = ("text", "int", "float", "bool", "datetime", "any")
TABLE_PREFIX = "table_"
SUMMARY_PREFIX = "summary_"
#: The contract's column kinds (``schema.ColumnSpec.kind``) as artifact column kinds.
_CONTRACT_KINDS = {"string": "text", "int": "int", "float": "float", "date": "datetime", "datetime": "datetime",
                   "bool": "bool"}


@dataclass(frozen=True)
class Column:
    """One declared column: its name, its kind (one of ``KINDS``) and whether the artifact must carry it."""

    name: str
    kind: str
    required: bool = True


@dataclass(frozen=True)
class Artifact:
    """One declared artifact (see the module docstring for each field)."""

    name: str
    producer: str
    description: str
    columns: tuple[Column, ...]
    consumers: tuple[str, ...] = ()
    optional: bool = False
    more_columns: bool = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def is_table(self) -> bool:
        return self.name.startswith(TABLE_PREFIX)


def _columns(spec: str) -> tuple[Column, ...]:
    """``"rep_id:text quota:float"`` as columns."""
    return tuple(Column(*item.rsplit(":", 1)) for item in spec.split())


def _declare(name: str, producer: str, description: str, columns: str, consumers: tuple[str, ...] = (),
             optional: bool = False, more_columns: bool = False) -> Artifact:
    return Artifact(name, producer, description, _columns(columns), consumers, optional, more_columns)


def _table(spec: schema.TableSpec) -> Artifact:
    """The artifact of a validated input table: its canonical columns (any of them may be absent: a column the
    export did not have), and the extra columns an analysis reads (``runner.step.artifact_columns``)."""
    readers = {"opportunities": (DEMAND, SUPPLY, ALIGN), "reps": (DEMAND, SUPPLY, ALIGN),
               "accounts": (DEMAND, SUPPLY, ALIGN), "leads": (DEMAND, SUPPLY, ALIGN),
               "products": (DEMAND, SUPPLY, ALIGN), "orders": (DEMAND, SUPPLY)}.get(spec.name, (DEMAND,))
    columns = tuple(Column(c.name, _CONTRACT_KINDS[c.kind], required=False) for c in spec.columns)
    return Artifact(f"{TABLE_PREFIX}{spec.name}", COLLECT, f"the validated {spec.name} table, without personal data",
                    columns, readers, optional=not spec.required, more_columns=True)


_SUMMARY_COLUMNS = "kind:text label:text display:text value:float note:text"

_STEP_ARTIFACTS: tuple[Artifact, ...] = (
    _declare("quality_checks", COLLECT, "every data-quality check run: table, check, severity, rows affected",
             "table:text check:text severity:text rows_affected:int rows_total:int share:float example_ids:text "
             "description:text", consumers=(SUPPLY, ALIGN)),
    _declare("quality_scores", COLLECT, "quality score (0-100) per input table",
             "table:text rows:int completeness:float issue_share:float score:int"),
    _declare("quality_completeness", COLLECT, "filled share of every column of every table",
             "table:text column:text rows:int filled:int filled_share:float"),
    _declare("rejects", COLLECT,
             "input rows set aside by validation (data.on_row_error: quarantine), with their cause",
             "table:text file:text row:int column:text problem:text value:text message:text cause_table:text "
             "cause_file:text cause_row:int cause:text is_cause:bool won_deal:bool won_amount:float"),
    _declare("analyses", COLLECT, "which analyses the data supports, and what to add for the others",
             "analysis:text step:text shows:text available:bool missing:text", consumers=(SUPPLY, ALIGN)),
    _declare("kpi_headline", COLLECT, "headline KPIs of the trailing window, one row",
             "last_quarter:text bookings_last_quarter:float bookings_last_12_months:float "
             "yoy_growth_last_quarter:float win_rate_count:float win_rate_value:float average_deal_size:float "
             "median_cycle_days:float open_pipeline_value:float"),
    _declare("bookings_monthly", COLLECT, "bookings (won amounts by close date) and deals won per month",
             "period:datetime bookings:float deals_won:int"),
    _declare("growth_quarterly", COLLECT, "bookings per fiscal quarter and their growth (the sanity checks of steps 2 "
             "and 3 compare with recent quarters)",
             "quarter:text bookings:float complete:bool qoq_growth:float yoy_growth:float",
             consumers=(DEMAND, SUPPLY, INDEX)),
    _declare("segments", COLLECT, "win rates, deal size and cycle per segment over the trailing window",
             "segment:text won:int lost:int won_value:float lost_value:float win_rate_count:float "
             "win_rate_value:float deals_won:int average_deal_size:float median_cycle_days:float "
             "bookings_share:float"),
    _declare("funnel", COLLECT, "stage-to-stage conversion of the deals closed in the window",
             "stage:text reached:int advanced:int conversion:float"),
    _declare("pipeline_coverage", COLLECT, "coverage of the target by forecast category",
             "forecast_category:text open_deals:int open_value:float won_to_date:float coverage:float"),
    _declare("planning_target", COLLECT,
             "the planned quarter's bookings target and its basis, one row (also read by the next quarter's plan review)",
             "quarter:text target:float basis:text", consumers=(DEMAND, SUPPLY, ALIGN, COLLECT)),
    _declare("last_quarter_review", COLLECT, "sentences comparing last quarter's plan with what happened",
             "sentence:text", consumers=(ALIGN,)),
    _declare("inputs_team_monthly", COLLECT, "team activity per month (needs activities)",
             "period:datetime emails:int calls:int meetings:int demos:int proposals:int other_activities:int "
             "opportunities_created:int selling_hours:float", optional=True),
    _declare("inputs_rep_monthly", COLLECT, "activity per rep and month (needs activities)",
             "rep_id:text period:datetime emails:int calls:int meetings:int demos:int proposals:int "
             "other_activities:int opportunities_created:int selling_hours:float", optional=True),
    _declare("icp_segments", COLLECT,
             "lead and deal statistics per ICP segment (one column per params.icp dimension), ranked",
             "leads:int converted:int lead_to_opportunity:float won:int lost:int win_rate:float "
             "average_deal_size:float median_cycle_days:float bookings:float revenue_share:float "
        "expected_value_per_lead:float expected_value:float eligible:bool rank:int in_icp:bool note:text",
             consumers=(ALIGN,), more_columns=True),
    _declare("rep_segment_wins", COLLECT, "each rep's win rate by industry against the team's",
             "rep_id:text name:text industry:text segment:text closed:int won:int win_rate:float team_closed:int "
             "team_win_rate:float vs_team_pp:float"),
    _declare("lead_scores", COLLECT,
             "score, probability and grade of every open lead (needs enough leads with known outcomes)",
        "lead_id:text probability:float score:int grade:text rule_score:float",
             consumers=(DEMAND, ALIGN), optional=True),
    _declare("lead_scoring_metrics", COLLECT, "how well each lead score ranked leads whose outcome is known",
             "score:text leads:int converted:int conversion_rate:float roc_auc:float top_decile_lift:float "
             "brier:float", optional=True),
    _declare("rep_performance", COLLECT,
             "per ramped account executive: bookings per ramped month, quota attainment, activity, conversion, group",
             "rep_id:text name:text segment:text ramped_months:int deals_closed:int bookings_per_month:float "
             "attainment:float win_rate:float average_deal_size:float median_cycle_days:float "
             "opportunities_per_month:float emails_per_week:float calls_per_week:float meetings_per_week:float "
             "demos_per_week:float proposals_per_week:float selling_hours_per_week:float time_share_email:float "
             "time_share_call:float "
             "time_share_meeting:float time_share_demo:float time_share_proposal:float demos_per_opportunity:float "
             "conversion_qualify:float conversion_discover:float conversion_demo:float conversion_proposal:float "
             "conversion_negotiate:float group:text", more_columns=True),
    _declare("performer_comparison", COLLECT, "top against bottom quartile, metric by metric",
             "metric:text top:float bottom:float difference:float relative_difference:float"),
    _declare("coaching", COLLECT,
             "coaching advice, one per training, ranked by the bookings the gap between bottom and top performers "
             "goes with",
             "metric:text family:text gap:float suggested_training:text metrics:text effect_per_rep_month:float "
             "bottom_reps:int impact:float evidence:text", consumers=(ALIGN,)),
    _declare("forecast_accuracy", COLLECT, "each rep's commit forecast against actual bookings per quarter",
             "rep_id:text quarter:text forecast:float actual:float signed_bias:float "
             "absolute_percentage_error:float forecast_to_actual:float direction:text"),
    _declare("forecast_flags", COLLECT, "reps whose forecasts missed in one direction in most recent quarters",
             "rep_id:text quarters_seen:int optimistic:int pessimistic:int forecast:float actual:float bias:float "
             "flag:text"),
    _declare("forecast_trend", COLLECT, "the team's forecast bias and error per quarter",
             "quarter:text reps:int forecast:float actual:float team_bias:float "
             "median_absolute_percentage_error:float share_within_tolerance:float"),
    _declare("pipeline_snapshots", COLLECT,
             "the open pipeline at each past quarter's start by stage, rebuilt from the stage history, and what of it "
             "was won in the quarter (needs opportunity_history)",
             "quarter:text quarter_start:datetime quarter_end:datetime stage:text open_deals:int open_value:float "
             "due_deals:int due_value:float due_won_deals:int due_won_value:float won_deals:int won_value:float "
             "estimated_deals:int quarter_won_deals:int quarter_won_value:float", optional=True),
    _declare("bookings_series", DEMAND,
             "monthly bookings per forecast series (one column per level of params.forecast.levels)",
             "unique_id:text ds:datetime y:float", more_columns=True),
    _declare("bookings_forecast", DEMAND,
             "reconciled statistical forecast per series and month, with 80% and 95% bands",
             "unique_id:text ds:datetime model:text mean:float lo-80:float hi-80:float lo-95:float hi-95:float"),
    _declare("demand_scenarios", DEMAND, "downside, base and upside of the statistical forecast per series and month",
             "unique_id:text ds:datetime downside:float base:float upside:float"),
    _declare("forecast_backtest", DEMAND, "backtest of the chosen model per series",
             "unique_id:text model:text mase:float smape:float bias:float seasonal_naive_mase:float "
             "improvement_vs_naive:float windows:int cv_h:int note:text"),
    _declare("lead_volume_forecast", DEMAND, "new leads per month, downside, base and upside (needs leads)",
             "unique_id:text ds:datetime downside:float base:float upside:float", optional=True),
    _declare("pipeline_forecast", DEMAND, "the pipeline forecast of the planned quarter per segment",
             "unique_id:text segment:text open_deals:int open_value:float commit_value:float best_case_value:float "
             "weighted_value:float slip_share:float expected_pipeline:float expected_new_deals:float "
             "new_deal_periods:int won_to_date:float downside:float base:float upside:float commit_total:float "
             "best_case_total:float stale_deals:int stale_value:float target:float coverage:float "
             "expected_attainment:float"),
    _declare("lead_forecast", DEMAND,
             "the lead-based forecast of the planned quarter by grade (needs leads and lead_scores)",
             "unique_id:text leads:float mean_probability:float expected_opportunities:float expected_wins:float "
             "share_in_period:float lead_sourced_bookings:float converted_open_bookings:float downside:float "
             "base:float upside:float win_rate:float average_deal_size:float median_lag_days:float "
             "median_conversion_lag_days:float lead_sourced_share:float", optional=True),
    _declare("method_backtest", DEMAND,
             "the pipeline and statistical forecasts of past quarters made on each quarter's eve (needs the stage "
             "history), against what was booked", "quarter:text method:text forecast:float actual:float error:float",
             optional=True),
    _declare("demand_comparison", DEMAND,
             "the planned quarter's bookings per method and scenario, and the blend (also read by the next quarters' "
             "plan review and method backtest)",
             "method:text scenario:text bookings:float weight:float vs_reference:float weight_basis:text "
             "reason:text", consumers=(ALIGN, COLLECT, DEMAND)),
    _declare("pipeline_need", DEMAND,
             "the planned quarter's pipeline coverage against the coverage the target needs at the measured close "
             "rates, and the bookings new pipeline must add",
             "target:float forecast:float gap:float coverage:float pipeline_yield:float coverage_needed:float "
             "pipeline_short:float bookings_to_add:float lead_conversion:float basis:text", consumers=(ALIGN,)),
    _declare("pipeline_to_create", DEMAND, "new opportunities and leads to create per month of the planned quarter",
             "ds:datetime opportunities:int usual_opportunities:float pipeline_value:float leads:int "
             "expected_bookings:float",
             consumers=(ALIGN,)),
    _declare("segment_demand", DEMAND, "blended demand per segment and month, per scenario",
             "segment:text ds:datetime downside:float base:float upside:float", consumers=(SUPPLY,)),
    _declare("demand_drivers", DEMAND,
             "what the base demand takes per segment and month: deals, opportunities, leads, customers, hours",
             "segment:text ds:datetime bookings:float average_deal_size:float deals:float win_rate:float "
             "opportunities:float median_cycle_days:float lead_sourced_share:float lead_conversion:float "
             "qualified_leads:float new_customers:float support_tickets:float delivery_hours_per_deal:float "
             "delivery_hours:float hours_unknown_share:float"),
    _declare("hardware_units", DEMAND, "hardware units per product, region and month (needs orders and products)",
        "product:text region:text ds:datetime units:float trailing_monthly_units:float annual_growth:float",
             consumers=(SUPPLY,), optional=True),
    _declare("sales_capacity", SUPPLY, "today's account executives' capacity per segment and month",
             "segment:text ds:datetime headcount:float ramped_equivalents:float productivity:float capacity:float"),
    _declare("productivity", SUPPLY, "bookings per fully ramped rep-month per segment, measured and used",
             "segment:text bookings:float ramped_rep_months:float measured:float productivity:float source:text",
             consumers=(ALIGN,)),
    _declare("attrition", SUPPLY, "attrition seen per role",
             "role:text average_headcount:float leavers:int annual_rate:float"),
    _declare("quota_capacity", SUPPLY, "quotas of today's reps against capacity per segment (step 3's page; step 4 "
             "compares its own quotas)", "segment:text quota:float capacity:float quota_to_capacity:float"),
    _declare("capacity_gaps", SUPPLY, "demand, capacity and gap per scenario, quarter and segment",
             "scenario:text segment:text quarter:text demand:float capacity:float added_capacity:float "
             "gap_before:float gap_after:float status:text", consumers=(ALIGN,)),
    _declare("hires", SUPPLY, "hires per scenario, role, segment and start month",
             "scenario:text role:text segment:text ds:datetime hires:int fully_ramped:datetime annual_cost:float "
             "cost_in_horizon:float"),
    _declare("hiring_plan", SUPPLY, "the hires of the planned scenario (also read by the next quarter's plan review)",
             "role:text segment:text ds:datetime hires:int fully_ramped:datetime annual_cost:float "
             "cost_in_horizon:float", consumers=(ALIGN, COLLECT)),
    _declare("support_workloads", SUPPLY, "workload one person of each supporting role carries per month",
             "role:text measured:float workload:float source:text unit:text"),
    _declare("support_cover", SUPPLY,
             "supporting roles needed, available, hired and contracted per scenario and month",
             "scenario:text role:text ds:datetime volume:float workload:float needed:float available:float "
             "hired:float contractor_fte:float contractor_hours:float contractor_cost:float"),
    _declare("inventory_plan", SUPPLY, "safety stock, reorder point and order per hardware product",
             "product:text quarter_demand:float monthly_demand:float sigma_monthly:float lead_time_days:float "
             "lead_time_months:float safety_stock:float reorder_point:float on_hand:float units_to_order:float "
             "supplier_limit:float units_orderable:float stockout_risk_before_delivery:float "
             "stockout_risk_quarter:float unit_cost:float order_cost:float", consumers=(ALIGN,)),
    _declare("inventory_orders", SUPPLY, "units to order per scenario and product",
             "scenario:text product:text quarter_demand:float units_to_order:float order_cost:float"),
    _declare("supply_scenarios", SUPPLY, "hires, payroll, contractors, stock and gaps left per scenario",
             "scenario:text ae_hires:int support_hires:int hires_by_role:text added_payroll:float "
             "contractor_hours:float contractor_cost:float inventory_units:float inventory_cost:float "
             "quarter_gap:float horizon_gap:float", consumers=(ALIGN,)),
    _declare("scenario_drivers", SUPPLY, "step 2's demand drivers per scenario",
             "segment:text ds:datetime bookings:float average_deal_size:float deals:float win_rate:float "
             "opportunities:float median_cycle_days:float lead_sourced_share:float lead_conversion:float "
             "qualified_leads:float new_customers:float support_tickets:float delivery_hours_per_deal:float "
             "delivery_hours:float hours_unknown_share:float scenario:text"),
    _declare("quotas", ALIGN, "each account executive's quota (also read by the next quarter's plan review)",
             "rep_id:text name:text role:text segment:text region:text new_hire:bool hire_date:datetime "
             "ramped_share:float capacity:float ote:float recent_bookings:float review:bool territory_potential:float "
             "quota:float quota_share:float basis:text", consumers=(COLLECT,)),
    _declare("territory_assignment", ALIGN,
             "each account's owner before and after, and the rule that placed it (needs accounts)",
             "account_id:text previous_rep_id:text rep_id:text reassigned:bool rule:text potential:float", optional=True),
    _declare("territory_balance", ALIGN, "accounts and potential per rep before and after (needs accounts)",
             "rep_id:text segment:text region:text capacity_weight:float accounts_before:int "
             "potential_before:float accounts_after:int potential_after:float potential_change:float", optional=True),
    _declare("lead_routing", ALIGN,
             "each open lead's rep under the routing rules (needs leads, reps and lead_scores)",
             "lead_id:text rep_id:text rule:text previous_rep_id:text", optional=True),
    _declare("routing_expectation", ALIGN, "expected conversions of today's owners against the routing rules",
             "assignment:text leads:int leads_on_active_reps:int expected_conversions:float "
             "expected_conversion_rate:float", optional=True),
    _declare("onboarding", ALIGN, "the onboarding and training programme",
             "month_of_tenure:int module:text why:text for_whom:text sessions:text"),
    _declare("compensation_plan", ALIGN, "commission plans: tiers of attainment",
             "role:text ote:float pay_mix:float tier:int from_attainment:float to_attainment:float "
             "rate_multiplier:float cap_attainment:float"),
    _declare("payout_simulation", ALIGN,
             "simulated payouts per rep (base scenario) and in total per scenario of the plan's forecast (needs reps "
             "with quotas and history)",
             "rep_id:text scenario:text quota:float target_variable:float expected_attainment:float expected_bookings:float "
        "expected_payout:float payout_p10:float payout_p50:float payout_p90:float cost_of_sales:float",
             optional=True),
    _declare("commission_statements", ALIGN,
             "commission statements of the last finished quarter (one payout column per tier)",
             "quarter:text rep_id:text name:text role:text quota:float bookings:float attainment:float "
             "target_variable:float commission_rate:float total_payout:float capped:bool note:text", more_columns=True),
    _declare("organisation", ALIGN, "the sales-operations roles the company's ARR calls for",
             "role:text title:text needed_from_arr:float needed:bool present:bool responsibilities:text "
             "recommendation:text"),
    _declare("actions", ALIGN, "the dated action list; on_summary marks the ones on the index",
             "priority:int title:text kind:text owner:text due_date:datetime metric:text expected_effect:text "
             "impact:float cost:float detail:text source:text on_summary:bool", consumers=(INDEX,)),
    _declare("plan_facts", ALIGN,
             "the plan's headline figures, computed once: the index, step 4's page and plan.xlsx show them",
             "key:text label:text value:float display:text note:text basis:text", consumers=(INDEX,)),
    _declare("gap_bridge", ALIGN, "from the base forecast to the target, and what the team can book",
             "step:text amount:float how:text", consumers=(INDEX,)),
    _declare("plan_review_forecast", COLLECT,
             "last quarter's forecast per method and scenario against bookings won (needs last quarter's report)",
             "quarter:any method:any scenario:any forecast:any actual:any error:any error_pct:any downside:any "
             "upside:any within_range:any target:any actual_vs_target:any", consumers=(INDEX,), optional=True),
    _declare("plan_review_attainment", COLLECT, "last quarter's quota attainment per rep (needs last quarter's report)",
             "rep_id:any name:any role:any segment:any region:any new_hire:any quota:any bookings:any "
             "attainment:any made_quota:any in_reps_table:any left_before_quarter_end:any counted:any",
             optional=True),
    _declare("plan_review_attainment_team", COLLECT,
             "last quarter's quota attainment of the team (needs last quarter's report)",
             "reps:any reps_at_or_above_quota:any share_at_or_above_quota:any median_attainment:any total_quota:any "
             "total_bookings:any total_attainment:any reps_left:any reps_not_in_reps_table:any "
             "bookings_without_quota:any", optional=True),
    _declare("plan_review_hires", COLLECT, "last quarter's planned hires against people who started",
             "role:any segment:any planned:any started:any difference:any note:any", optional=True),
    *(_declare(f"{SUMMARY_PREFIX}{step}", step, "the step's headline numbers, findings and skipped analyses",
               _SUMMARY_COLUMNS, consumers=(INDEX,)) for step in STEPS),
)

#: Every artifact by name: the steps' own, then one ``table_<name>`` per table of the data contract.
CATALOG: dict[str, Artifact] = {artifact.name: artifact for artifact in (
    *_STEP_ARTIFACTS, *(_table(spec) for spec in schema.TABLES.values()))}


def artifact(name: str) -> Artifact:
    """The declaration of ``name``; a clear error for a name nobody declared."""
    try:
        return CATALOG[name]
    except KeyError:
        raise DataError(f"artifact {name!r} is not declared in salesops.data.catalog: declare it there (name, "
                        "producing step, columns, consumers) before a step writes or reads it.") from None


def table_artifact(table: str) -> str:
    """The artifact name of a validated input table, ``table_<table>``."""
    return f"{TABLE_PREFIX}{table}"


def summary_artifact(step: str) -> str:
    """The artifact name of a step's summary, ``summary_<step>``."""
    return f"{SUMMARY_PREFIX}{step}"


def produced_by(step: str) -> list[Artifact]:
    """The artifacts ``step`` writes, in declaration order."""
    return [a for a in CATALOG.values() if a.producer == step]


def _kind_of(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "text"
    return str(dtype)


def _matches(kind: str, series: pd.Series) -> bool:
    if kind == "any" or series.isna().all():
        return True  # an empty or all-missing column has no kind of its own (pandas stores it as object)
    found = _kind_of(series)
    if {kind, found} <= {"int", "float"}:
        return True
    return found == kind


def check_frame(name: str, frame: pd.DataFrame) -> None:
    """Stop with a ``DataError`` when ``frame`` does not match the declaration of artifact ``name``: a required
    column missing, a column not declared (unless the artifact allows more), or a column of another kind.
    The message names the artifact, the column, what was expected and what was found."""
    declared = artifact(name)
    where = f"artifact {name} (written by {declared.producer}, declared in salesops.data.catalog)"
    present = set(map(str, frame.columns))
    missing = [c.name for c in declared.columns if c.required and c.name not in present]
    if missing:
        raise DataError(f"{where} lacks column(s) {', '.join(missing)}: expected {declared.column_names}, found "
                        f"{list(map(str, frame.columns))}. Add the column(s) or change the declaration.")
    if not declared.more_columns:
        extra = [str(c) for c in frame.columns if str(c) not in set(declared.column_names)]
        if extra:
            raise DataError(f"{where} has undeclared column(s) {', '.join(extra)}: expected only "
                            f"{declared.column_names}. Declare the column(s) or drop them before writing.")
    for column in declared.columns:
        if column.name in present and not _matches(column.kind, frame[column.name]):
            raise DataError(f"{where}: column {column.name} should hold {column.kind} values, found dtype "
                            f"{frame[column.name].dtype} ({_kind_of(frame[column.name])}). Convert the column or "
                            "change the declaration.")

