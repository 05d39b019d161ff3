"""Charts draw CRM text literally ($ is never math text) and stay a bounded size with long labels, whether or
not the house theme was set first."""

from __future__ import annotations

import io

import matplotlib as mpl
import pandas as pd
import pytest
from matplotlib.text import Text
from PIL import Image

from salesops.report import plots

BAD_MATH = "Soft$\\notacommand$ware"
ALPHA = "$\\alpha$"
LONG = "L" * 2000


@pytest.fixture
def matplotlib_defaults():
    """matplotlib's own defaults, as in a fresh session where nobody called ``plots.set_theme``."""
    mpl.use("Agg")
    with mpl.rc_context():
        mpl.rcdefaults()
        assert mpl.rcParams["text.parse_math"] is True
        yield


def saved(fig) -> tuple[int, int]:
    """Save ``fig`` the way the notebook's inline backend does (tight box) and return its size in pixels."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    buffer.seek(0)
    return Image.open(buffer).size


def texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_text()]


def hostile_charts():
    labels = [BAD_MATH, ALPHA, LONG, LONG + "2", "nul\x00here"]
    bars = pd.DataFrame({"label": labels, "value": [5.0, 4.0, 3.0, 2.0, 1.0]})
    stages = pd.DataFrame({"stage": labels, "reached": [50, 40, 30, 20, 10], "conversion": [0.8, 0.75, 0.6, 0.5, 0.4]})
    completeness = pd.DataFrame({"table": ["accounts"] * 3, "column": [BAD_MATH, ALPHA, LONG],
                                 "filled_share": [0.5, 0.7, 0.9]})
    gaps = pd.DataFrame([
        {"segment": segment, "quarter": "2027Q1", "scenario": scenario, "demand": demand, "capacity": 80.0,
         "added_capacity": 10.0}
        for segment in (BAD_MATH, LONG)
        for scenario, demand in (("downside", 90.0), ("base", 100.0), ("upside", 110.0))])
    comparison = pd.DataFrame([{"method": method, "scenario": scenario, "bookings": 1e6}
                               for method in (ALPHA, LONG) for scenario in ("downside", "base", "upside")])
    return {
        "horizontal_bars": lambda: plots.horizontal_bars(bars, "value", "label", "Best segments", "Bookings",
                                                         currency="USD"),
        "funnel": lambda: plots.funnel(stages),
        "completeness_heatmap": lambda: plots.completeness_heatmap(completeness),
        "capacity_vs_demand": lambda: plots.capacity_vs_demand(gaps, "USD", "Capacity"),
        "scenario_bars": lambda: plots.scenario_bars(comparison, "USD", "Forecast"),
    }


@pytest.mark.parametrize("chart", list(hostile_charts()))
def test_data_text_is_drawn_literally_and_charts_stay_small(matplotlib_defaults, chart):
    fig = hostile_charts()[chart]()
    width, height = saved(fig)  # raised "Unknown symbol: \notacommand" before, and was 19,000 px wide
    assert width <= 1500 and height <= 1500, (width, height)
    drawn = texts(fig)
    assert all(not t.get_parse_math() for t in drawn), [t.get_text() for t in drawn if t.get_parse_math()]
    shown = " ".join(t.get_text() for t in drawn)
    assert ("$\\alpha$" in shown) or ("Soft$\\notacommand$ware" in shown)  # as written, not α
    assert max(len(t.get_text()) for t in drawn) <= 80  # a 2,000-character label is cut
    assert "\x00" not in shown


def test_long_labels_are_cut_and_kept_distinct():
    assert plots.short_label("abcdef", 4) == "abc…" and plots.short_label("abcd", 4) == "abcd"
    assert plots.short_label("a\x00b\nc") == "a b c"
    assert plots.short_labels(["x" * 50, "x" * 51, "y"], 10) == ["xxxxxxxxx…", "xxxxx… (2)", "y"]
    assert plots.short_labels(["ab", "ab"], 10) == ["ab", "ab (2)"]  # equal values stay equal only when cut


def test_bars_of_the_same_label_after_cutting_stay_separate(matplotlib_defaults):
    frame = pd.DataFrame({"label": ["z" * 60 + "1", "z" * 60 + "2"], "value": [1.0, 3.0]})
    fig = plots.horizontal_bars(frame, "value", "label", "t", "x")
    assert sorted(p.get_width() for p in fig.axes[0].patches) == [1.0, 3.0]  # not one bar of their mean


def test_money_axis_still_reads_as_money(matplotlib_defaults):
    comparison = pd.DataFrame([{"method": "statistical", "scenario": s, "bookings": 1_200_000.0}
                               for s in ("downside", "base", "upside")])
    fig = plots.scenario_bars(comparison, "USD", "Forecast")
    saved(fig)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "$1.2M" in ticks and not any("\\" in t for t in ticks)


def test_figure_height_is_bounded():
    frame = pd.DataFrame({"label": [f"segment {i}" for i in range(200)], "value": range(200)})
    fig = plots.horizontal_bars(frame, "value", "label", "t", "x")
    assert fig.get_size_inches()[1] == plots.MAX_HEIGHT_INCHES


def test_house_theme_turns_math_text_off(matplotlib_defaults):
    plots.set_theme()
    assert mpl.rcParams["text.parse_math"] is False
