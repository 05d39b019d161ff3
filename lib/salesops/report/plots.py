"""Charts in one house theme (seaborn). Every chart has a title, labelled axes and units, its legend outside
the data, and alt text that states its message.

Functions return a closed matplotlib Figure: a notebook shows it by leaving it as the cell's last
value, and nothing is drawn twice. A page shows it as a PNG drawn at twice its displayed size (sharp on
high-density screens and in print), with the alt text (``alt_text``) on the image.

Text on a chart is always literal: a ``$`` in a CRM value (an industry ``Soft$\\alpha$ware``) is drawn as
a dollar sign, never read as matplotlib math text, whether or not ``set_theme`` was called. Category labels
taken from the data are cut to ``MAX_LABEL_CHARS`` characters and figure sizes are bounded, so a long CRM
value cannot make a chart thousands of pixels wide or tall.
"""

from __future__ import annotations

import base64
import functools
import io
import unicodedata

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from PIL import Image
from matplotlib.ticker import FuncFormatter, PercentFormatter

from salesops.formats import currency_symbol, money

PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#a5a5a5"]
#: Longest category label drawn on a chart, in characters; longer ones end in an ellipsis.
MAX_LABEL_CHARS = 40
#: Tallest chart, in inches (at 100 dpi: 1,400 px); charts with one bar per row stop growing there.
MAX_HEIGHT_INCHES = 14.0
#: rcParams under which every chart is built and drawn: no math text.
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


def set_theme() -> None:
    """The house theme for every chart of a session, including literal text (no math text)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95,
                  rc={"figure.dpi": 100, "savefig.dpi": 100, "axes.titleweight": "bold",
                      "axes.titlesize": 13, "figure.figsize": (10, 4.2), **LITERAL_TEXT})


#: A chart's image is drawn at this many dots per inch and shown at half its pixel size: twice as sharp.
DISPLAY_DPI = 200


class LiteralTextFigure(Figure):
    """A Figure that draws with math text off, so tick labels created while drawing (matplotlib makes
    them lazily, e.g. in ``savefig``) are literal too, whatever the session's rcParams say. Shown in a
    notebook as a 2× PNG carrying its alt text."""

    alt_text = ""

    def draw(self, renderer):
        with mpl.rc_context(LITERAL_TEXT):
            return super().draw(renderer)

    def _repr_mimebundle_(self, include=None, exclude=None):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DISPLAY_DPI, bbox_inches="tight", metadata={"Software": None})
        width = round(Image.open(io.BytesIO(buffer.getvalue())).width / 2)
        data = {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"), "text/plain": self.alt_text}
        return data, {"image/png": {"width": width, "alt": self.alt_text}}


def _literal_text(chart):
    """Build ``chart``'s figure with math text off: every text object it creates is literal."""
    @functools.wraps(chart)
    def build(*args, **kwargs):
        with mpl.rc_context(LITERAL_TEXT):
            return chart(*args, **kwargs)
    return build


def _subplots(*args, **kwargs):
    return plt.subplots(*args, FigureClass=LiteralTextFigure, **kwargs)


def short_label(text, max_chars: int = MAX_LABEL_CHARS) -> str:
    """``text`` as one line of at most ``max_chars`` characters for a chart: control characters (NUL, line
    breaks, tabs) become spaces, and a longer text keeps its first ``max_chars - 1`` characters and an
    ellipsis (…)."""
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in str(text))
    return text if len(text) <= max_chars else text[:max_chars - 1].rstrip() + "…"


def short_labels(values, max_chars: int = MAX_LABEL_CHARS) -> list[str]:
    """``short_label`` of each value, kept distinct: a label that would equal an earlier one after cutting
    gets a counter (`` (2)``, `` (3)``…), so two categories never merge into one bar."""
    seen: dict[str, int] = {}
    labels = []
    for value in values:
        label = short_label(value, max_chars)
        count = seen.get(label, 0) + 1
        seen[label] = count
        if count > 1:
            suffix = f" ({count})"
            label = short_label(value, max_chars - len(suffix)) + suffix
            while label in seen:  # a cut label could collide with a real one: count on
                count += 1
                suffix = f" ({count})"
                label = short_label(value, max_chars - len(suffix)) + suffix
            seen[label] = 1
        labels.append(label)
    return labels


def _height(rows: int, per_row: float, extra: float) -> float:
    """Figure height in inches for a chart of ``rows`` bars: ``per_row`` each plus ``extra``, at most
    ``MAX_HEIGHT_INCHES``."""
    return min(per_row * rows + extra, MAX_HEIGHT_INCHES)


def money_axis(ax, currency: str, axis: str = "y") -> None:
    """Format an axis in compact money: $1.2M, $350k."""
    symbol = currency_symbol(currency)

    def fmt(value, _pos):
        for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= threshold:
                return f"{symbol}{value / threshold:g}{suffix}"
        return f"{symbol}{value:g}"

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


def alt_text(title: str, xlabel: str, ylabel: str, message: str = "") -> str:
    """A chart's alt text: its message when one is given, then what it plots."""
    plotted = f"{title}: {ylabel or 'value'} by {xlabel or 'category'}."
    return f"{message} ({plotted})" if message else plotted


def legend_outside(ax, **kwargs) -> None:
    """The legend to the right of the plot, never over the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, **kwargs)


def _finish(fig, ax, title: str, xlabel: str, ylabel: str, message: str = ""):
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.alt_text = alt_text(title, xlabel, ylabel, message)
    fig.tight_layout()
    plt.close(fig)
    return fig


@_literal_text
def bookings_trend(monthly: pd.DataFrame, currency: str, title: str = "Bookings per month"):
    """Bars of monthly bookings (``period``, ``bookings``) with a 3-month moving average line."""
    fig, ax = _subplots()
    x = monthly["period"]
    ax.bar(x, monthly["bookings"], width=20, color=PALETTE[0], alpha=0.8, label="Bookings")
    ax.plot(x, monthly["bookings"].rolling(3, min_periods=1).mean(), color=PALETTE[1], linewidth=2,
            label="3-month average")
    money_axis(ax, currency)
    legend_outside(ax)
    return _finish(fig, ax, title, "Month", f"Bookings ({currency})")


@_literal_text
def daily_bookings(daily: pd.DataFrame, currency: str, title: str = "Bookings per day, last 90 days"):
    """Daily bookings (``period``, ``bookings``) as bars: shows the end-of-quarter push."""
    fig, ax = _subplots(figsize=(10, 3.4))
    ax.bar(daily["period"], daily["bookings"], width=0.8, color=PALETTE[0])
    money_axis(ax, currency)
    return _finish(fig, ax, title, "Day", f"Bookings ({currency})")


@_literal_text
def horizontal_bars(frame: pd.DataFrame, value: str, label: str, title: str, xlabel: str,
                    percent: bool = False, currency: str | None = None, color: str = PALETTE[0]):
    """One bar per row of ``frame``: ``label`` on the y axis (cut to ``MAX_LABEL_CHARS``), ``value`` along x."""
    shown = pd.DataFrame({value: frame[value].to_numpy(), label: short_labels(frame[label])})
    fig, ax = _subplots(figsize=(10, _height(len(shown), 0.45, 1.4)))
    sns.barplot(data=shown, x=value, y=label, color=color, ax=ax, orient="h")
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    if currency:
        money_axis(ax, currency, axis="x")
    return _finish(fig, ax, title, xlabel, "")


@_literal_text
def funnel(stages: pd.DataFrame, title: str = "Stage-to-stage conversion"):
    """Deals reaching each stage (``stage``, ``reached``, ``conversion``), annotated with conversion."""
    shown = pd.DataFrame({"reached": stages["reached"].to_numpy(), "stage": short_labels(stages["stage"])})
    fig, ax = _subplots(figsize=(10, max(3.6, _height(len(shown), 0.45, 1.4))))
    sns.barplot(data=shown, x="reached", y="stage", color=PALETTE[0], ax=ax, orient="h")
    for i, row in enumerate(stages.itertuples()):
        ax.text(row.reached, i, f"  {row.reached:,.0f} deals · {row.conversion:.0%} go on", va="center", fontsize=9)
    ax.set_xlim(0, stages["reached"].max() * 1.35)
    return _finish(fig, ax, title, "Deals that reached the stage (count)", "Stage")


@_literal_text
def stacked_activity(monthly: pd.DataFrame, columns: list[str], title: str = "Team activity per month"):
    """Stacked monthly activity counts; ``monthly`` has ``period`` and one column per activity type."""
    fig, ax = _subplots()
    bottom = None
    for i, column in enumerate(columns):
        ax.bar(monthly["period"], monthly[column], width=20, bottom=bottom, label=column.capitalize(),
               color=PALETTE[i % len(PALETTE)])
        bottom = monthly[column] if bottom is None else bottom + monthly[column]
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    legend_outside(ax)
    return _finish(fig, ax, title, "Month", "Activities (count)")


@_literal_text
def completeness_heatmap(completeness: pd.DataFrame, title: str = "How complete each column is"):
    """Share of filled cells per table and column (``table``, ``column``, ``filled_share``)."""
    frame = completeness.assign(name=completeness["table"].astype(str) + "." + completeness["column"].astype(str))
    incomplete = frame[frame["filled_share"] < 1].sort_values("filled_share", kind="stable")
    if incomplete.empty:
        incomplete = frame.head(1)
    incomplete = pd.DataFrame({"filled_share": incomplete["filled_share"].to_numpy(),
                               "name": short_labels(incomplete["name"])})
    fig, ax = _subplots(figsize=(10, _height(len(incomplete), 0.35, 1.4)))
    sns.barplot(data=incomplete, x="filled_share", y="name", color=PALETTE[1], ax=ax, orient="h")
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    return _finish(fig, ax, title + " (columns with gaps)", "Filled cells (% of rows)", "Table.column")


@_literal_text
def accuracy_trend(trend: pd.DataFrame, title: str = "Forecast accuracy of the team per quarter"):
    """Team bias and median absolute error of the reps' forecasts per quarter (``quarter``,
    ``team_bias``, ``median_absolute_percentage_error``), as percentages."""
    fig, ax = _subplots(figsize=(10, 3.8))
    ax.axhline(0, color="#555", linewidth=0.8)
    ax.plot(trend["quarter"], trend["team_bias"], marker="o", color=PALETTE[1],
            label="Team bias (forecast ÷ actual − 1)")
    ax.plot(trend["quarter"], trend["median_absolute_percentage_error"], marker="s", color=PALETTE[0],
            label="Median absolute error per rep")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    legend_outside(ax)
    return _finish(fig, ax, title, "Quarter", "% of actual bookings")


@_literal_text
def calibration(table: pd.DataFrame, title: str = "Does a predicted probability come true?"):
    """Predicted against observed conversion per probability bin (``predicted``, ``observed``,
    ``leads``); points on the diagonal mean the probabilities can be taken at face value."""
    fig, ax = _subplots(figsize=(6.5, 5))
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="Perfect calibration")
    ax.scatter(table["predicted"], table["observed"], s=20 + 180 * table["leads"] / table["leads"].max(),
               color=PALETTE[0], alpha=0.85, label="Test leads per bin (size = count)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    legend_outside(ax)
    return _finish(fig, ax, title, "Predicted probability of converting", "Share that converted")


@_literal_text
def pipeline_snapshots(totals: pd.DataFrame, currency: str, title: str):
    """Per quarter (``quarter``): the open pipeline at its start (``open_value``), the part of it due in the
    quarter (``due_value``), what was won of that part (``due_won_value``) and everything booked in the quarter
    (``quarter_won_value``), as grouped bars."""
    series = (("open_value", "Open pipeline at the start", PALETTE[6]),
              ("due_value", "Due in the quarter", PALETTE[0]),
              ("due_won_value", "Won of what was due", PALETTE[2]),
              ("quarter_won_value", "All bookings of the quarter", PALETTE[1]))
    fig, ax = _subplots(figsize=(10, 4.2))
    x = range(len(totals))
    width = 0.8 / len(series)
    for i, (column, label, color) in enumerate(series):
        ax.bar([p + (i - 1.5) * width for p in x], totals[column], width=width, color=color, label=label)
    ax.set_xticks(list(x), short_labels(totals["quarter"]))
    money_axis(ax, currency)
    legend_outside(ax, fontsize=9)
    return _finish(fig, ax, title, "Quarter (pipeline as it stood the day before it began)", f"Value ({currency})")


@_literal_text
def forecast_fan(history: pd.DataFrame, forecast: pd.DataFrame, title: str, ylabel: str,
                 currency: str | None = None, history_months: int = 36, target: float | None = None,
                 target_label: str = "Target"):
    """History (``ds``, ``y``) then the forecast (``ds``, ``mean``, ``lo-80``, ``hi-80`` and, when
    present, ``lo-95``, ``hi-95``) as a line with its 80% and 95% bands; ``target``, in the units of ``y``
    (e.g. the quarter's target ÷ 3 on a monthly chart), as a dashed line over the forecast."""
    fig, ax = _subplots()
    recent = history.tail(history_months)
    ax.plot(recent["ds"], recent["y"], color=PALETTE[0], linewidth=1.8, label="Actual")
    if {"lo-95", "hi-95"} <= set(forecast.columns):
        ax.fill_between(forecast["ds"], forecast["lo-95"], forecast["hi-95"], color=PALETTE[1], alpha=0.15,
                        label="95% interval")
    ax.fill_between(forecast["ds"], forecast["lo-80"], forecast["hi-80"], color=PALETTE[1], alpha=0.3,
                    label="80% interval (downside – upside)")
    ax.plot(forecast["ds"], forecast["mean"], color=PALETTE[1], linewidth=2, label="Forecast (base)")
    if currency:
        money_axis(ax, currency)
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    if target is not None and len(forecast):
        ax.hlines(target, forecast["ds"].min(), forecast["ds"].max(), colors="#b00020", linestyles="--",
                  linewidth=1.6, label=target_label)
    legend_outside(ax)
    show = (lambda v: money(v, currency, compact=True)) if currency else (lambda v: f"{v:,.0f}")
    message = ""
    if len(forecast) and len(recent):
        message = (f"The base forecast averages {show(forecast['mean'].mean())} a month over the next "
                   f"{len(forecast)} months, against {show(recent['y'].tail(12).mean())} a month over the last "
                   f"{min(len(recent), 12)}")
        message += f"; the target is {show(target)} a month." if target is not None else "."
    return _finish(fig, ax, title, "Month", ylabel, message)


@_literal_text
def scenario_bars(comparison: pd.DataFrame, currency: str, title: str, target: float | None = None):
    """Bookings per method (``method``) and scenario (``scenario``: downside, base, upside), with the quarter's
    ``target`` as a dashed line when given."""
    methods = list(dict.fromkeys(comparison["method"].astype(str)))
    shown_as = dict(zip(methods, short_labels(methods)))
    comparison = comparison.assign(method=comparison["method"].astype(str).map(shown_as))
    fig, ax = _subplots(figsize=(10, 3.8))
    sns.barplot(data=comparison, x="method", y="bookings", hue="scenario", ax=ax,
                hue_order=["downside", "base", "upside"], palette=[PALETTE[6], PALETTE[0], PALETTE[2]])
    if target is not None:
        ax.axhline(target, color="#b00020", linestyle="--", linewidth=1.6,
                   label=f"Target {money(target, currency, compact=True)}")
    money_axis(ax, currency)
    legend_outside(ax, title="Scenario")
    base = comparison[comparison["scenario"] == "base"].set_index("method")["bookings"]
    message = "Base forecast by method: " + ", ".join(f"{m} {money(v, currency, compact=True)}"
                                                      for m, v in base.items())
    message += f"; target {money(target, currency, compact=True)}." if target is not None else "."
    return _finish(fig, ax, title, "Method", f"Bookings ({currency})", message)


@_literal_text
def capacity_vs_demand(gaps: pd.DataFrame, currency: str, title: str):
    """Per segment (one panel each) and quarter: capacity of today's team plus what the planned hires add
    (stacked bars, ``capacity``, ``added_capacity``) against base demand (dot) with the downside–upside range
    (line). ``gaps``: hiring.GAP_COLUMNS rows of the three scenarios; capacity and hires of the base scenario."""
    segments = list(dict.fromkeys(gaps["segment"].astype(str)))
    fig, axes = _subplots(1, len(segments), figsize=(10, 4.2), sharey=True, squeeze=False)
    demand = gaps.pivot_table(index=["segment", "quarter"], columns="scenario", values="demand", aggfunc="sum")
    base = gaps[gaps["scenario"] == "base"]
    for ax, segment in zip(axes[0], segments):
        rows = base[base["segment"].astype(str) == segment]
        x = list(rows["quarter"].astype(str))
        ax.bar(x, rows["capacity"], color=PALETTE[0], alpha=0.85, label="Capacity of today's team")
        ax.bar(x, rows["added_capacity"], bottom=rows["capacity"], color=PALETTE[5], alpha=0.85,
               label="Added by planned hires (base)")
        d = demand.loc[segment].reindex(x)
        ax.vlines(x, d["downside"], d["upside"], color=PALETTE[1], linewidth=2, label="Demand, downside – upside")
        ax.plot(x, d["base"], "o", color=PALETTE[1], label="Demand, base")
        ax.set_title(short_label(segment), loc="left", fontsize=11)
        ax.set_xlabel("Quarter")
        ax.tick_params(axis="x", rotation=0)
        money_axis(ax, currency)
    axes[0][0].set_ylabel(f"Bookings per quarter ({currency})")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=13)
    short = base[base["added_capacity"].fillna(0) > 0]
    fig.alt_text = alt_text(title, "quarter, per segment", f"bookings per quarter ({currency})",
                            f"Planned hires add capacity in {len(short)} of {len(base)} segment-quarters"
                            if len(short) else "Today's team covers base demand in every segment and quarter")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    plt.close(fig)
    return fig


@_literal_text
def team_over_time(team: pd.DataFrame, title: str):
    """Account executives per month (``ds``): expected headcount and ramped equivalents (``headcount``,
    ``ramped_equivalents``), summed over segments."""
    totals = team.groupby("ds")[["headcount", "ramped_equivalents"]].sum()
    fig, ax = _subplots(figsize=(10, 3.6))
    ax.plot(totals.index, totals["headcount"], color=PALETTE[0], linewidth=2, label="Headcount (expected)")
    ax.plot(totals.index, totals["ramped_equivalents"], color=PALETTE[2], linewidth=2,
            label="Ramped equivalents")
    legend_outside(ax)  # the axis fits the data: a range of 57–64 people is not flattened against zero
    message = (f"Account executives go from {totals['headcount'].iloc[0]:.0f} to {totals['headcount'].iloc[-1]:.0f} "
               f"(ramped equivalents {totals['ramped_equivalents'].iloc[0]:.0f} to "
               f"{totals['ramped_equivalents'].iloc[-1]:.0f})") if len(totals) else ""
    return _finish(fig, ax, title, "Month", "Account executives (people)", message)


@_literal_text
def territory_balance(balance: pd.DataFrame, currency: str, title: str):
    """Potential held per rep (``potential_before``, ``potential_after``), each sorted from most to least:
    a flatter line is a more even book."""
    fig, ax = _subplots(figsize=(10, 3.8))
    ranks = range(1, len(balance) + 1)
    ax.plot(ranks, balance["potential_before"].sort_values(ascending=False).to_numpy(), color=PALETTE[6],
            linewidth=2, label="Before")
    ax.plot(ranks, balance["potential_after"].sort_values(ascending=False).to_numpy(), color=PALETTE[0],
            linewidth=2, label="After")
    money_axis(ax, currency)
    legend_outside(ax)
    return _finish(fig, ax, title, "Reps, from most to least potential", f"Territory potential ({currency})")


@_literal_text
def payout_curve(curve: pd.DataFrame, title: str):
    """Payout as a share of target variable pay (``payout_share``) against attainment (``attainment``), both
    fractions: the tiers show as steeper stretches, the cap as the flat end."""
    fig, ax = _subplots(figsize=(10, 3.8))
    ax.plot(curve["attainment"], curve["payout_share"], color=PALETTE[0], linewidth=2.2)
    ax.axvline(1.0, color=PALETTE[6], linestyle="--", linewidth=1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    return _finish(fig, ax, title, "Attainment (bookings ÷ quota)", "Payout (% of target variable pay)")


@_literal_text
def plan_overview(history: pd.DataFrame, quarter: str, forecast: dict[str, float], target: float, currency: str,
                  last_plan: tuple[str, float] | None = None, title: str = "Bookings per quarter and the plan"):
    """The index's one chart: the bookings of the last quarters (``history``: ``quarter``, ``bookings``), the
    planned ``quarter``'s base forecast with its downside–upside range and its ``target``, and, when last
    quarter was planned with the workbook, ``last_plan`` (quarter, base forecast then) beside what it booked."""
    labels = [*history["quarter"].astype(str), quarter]
    fig, ax = _subplots(figsize=(7, 3.4))
    x = range(len(labels))
    ax.bar(list(x)[:-1], history["bookings"], color=PALETTE[0], alpha=0.85, width=0.6, label="Booked")
    low, base, high = forecast["downside"], forecast["base"], forecast["upside"]
    ax.bar(len(labels) - 1, base, color=PALETTE[5], alpha=0.55, width=0.6, hatch="//", edgecolor=PALETTE[0],
           label=f"Forecast {quarter} (base)")
    ax.errorbar(len(labels) - 1, base, yerr=[[base - low], [high - base]], color="#333333", capsize=6,
                linewidth=1.4, label="Downside – upside")
    ax.plot([len(labels) - 1.4, len(labels) - 0.6], [target, target], color="#b00020", linestyle="--",
            linewidth=2, label=f"Target {money(target, currency, compact=True)}")
    message = (f"{quarter}: forecast {money(base, currency, compact=True)} ({money(low, currency, compact=True)} to "
               f"{money(high, currency, compact=True)}) against a target of {money(target, currency, compact=True)}")
    if last_plan is not None and last_plan[0] in labels:
        position = labels.index(last_plan[0])
        ax.scatter([position], [last_plan[1]], marker="D", s=48, color=PALETTE[1], zorder=3,
                   label=f"Forecast made for {last_plan[0]}")
        booked = float(history.set_index("quarter")["bookings"].get(last_plan[0], float("nan")))
        message += (f"; {last_plan[0]} booked {money(booked, currency, compact=True)} against the "
                    f"{money(last_plan[1], currency, compact=True)} forecast for it")
    if len(history):
        message += f"; the last {len(history)} quarters booked {money(history['bookings'].min(), currency, compact=True)}"
        message += f" to {money(history['bookings'].max(), currency, compact=True)}."
    ax.set_xticks(list(x), labels)
    ax.tick_params(axis="x", labelsize=8)
    money_axis(ax, currency)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=3, frameon=False, fontsize=8)  # below the axis
    return _finish(fig, ax, title, "Quarter", f"Bookings ({currency})", message)


def image_data(fig) -> tuple[str, int, str]:
    """A chart as the index embeds it: the PNG (base64, drawn at twice its size), its width in CSS pixels and
    its alt text."""
    data, metadata = fig._repr_mimebundle_()
    return data["image/png"], metadata["image/png"]["width"], metadata["image/png"]["alt"]
