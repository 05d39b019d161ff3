"""Each step's params declaration (``salesops.runner.fingerprint.STEP_PARAMS``) holds every key the step reads: the
four notebooks run in this process on the tiny export with params that record each key read, and a key read but
not declared fails here (else a change to it would leave the step's reused artifacts out of date, silently)."""

from __future__ import annotations

import pytest
import yaml

import in_process
from salesops.plan_params import load_params
from salesops.runner import fingerprint
from salesops.runner.requirements import ensure_data_can_run

from builders import ROOT, tiny_export, write_export
from in_process import FAST_PARAMS, NOTEBOOKS
from params_recorder import recording


def covered(key: str, declared: tuple[str, ...]) -> bool:
    """Whether the read of ``key`` is declared: ``forecast.freq`` by ``forecast`` or ``forecast.freq``; the whole
    section ``forecast.*`` by ``forecast`` only; the section object ``forecast`` (its keys read are recorded too) by
    any key of it; the whole params ``*`` never."""
    section = key.split(".")[0]
    if key == "*":
        return False
    if "." not in key:
        return key in declared or any(d.startswith(f"{key}.") for d in declared)
    return section in declared or (not key.endswith("*") and key in declared)


@pytest.fixture(scope="module")
def reads(tmp_path_factory):
    """The params keys each step read, on the tiny export."""
    base = tmp_path_factory.mktemp("reads")
    export = write_export(base / "export", tiny_export())
    params_path = base / "params.yaml"
    params_path.write_text(yaml.safe_dump(FAST_PARAMS), encoding="utf-8")
    params = load_params("2027Q1", params_path, ROOT)
    ensure_data_can_run(params, ROOT, export)
    found = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for notebook in NOTEBOOKS:
            seen: set[str] = set()
            watched = recording(params, seen)
            monkeypatch.setattr(in_process, "same_params", lambda *args, watched=watched: watched)
            in_process.run_notebook(notebook, {"quarter": "2027Q1", "params_path": str(params_path),
                                               "data_dir": str(export), "out_dir": str(base / "out")}, monkeypatch)
            found[notebook.stem] = seen
    return found


@pytest.mark.parametrize("step", [n.stem for n in NOTEBOOKS])
def test_every_params_key_a_step_reads_is_declared(reads, step):
    declared = fingerprint.declared_params(step)
    assert reads[step], "the recording saw no read at all: it does not work"
    undeclared = sorted(key for key in reads[step] if not covered(key, declared))
    assert not undeclared, (f"{step} reads params {undeclared} that salesops.runner.fingerprint.STEP_PARAMS does "
                            f"not declare for it: add them (a section, or section.key), or a change to them would "
                            f"leave its reused artifacts out of date")


def test_the_recorder_sees_keys_sections_and_whole_sections():
    seen: set[str] = set()
    watched = recording(load_params("2027Q1", None, ROOT), seen)
    watched.forecast.freq, watched.quarter_start, watched.icp.model_dump()
    assert {"forecast", "forecast.freq", "quarter", "fiscal_year_start_month", "icp", "icp.*"} <= seen
    assert not covered("icp.*", ("icp.dimensions",)) and covered("icp.*", ("icp",)) and not covered("*", ("icp",))
    assert covered("forecast", ("forecast.freq",)) and not covered("forecast", ("icp",))
    assert covered("forecast.freq", ("forecast.freq",)) and not covered("forecast.models", ("forecast.freq",))
