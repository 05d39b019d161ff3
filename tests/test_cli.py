"""The command line as a scheduler uses it: exit codes, the one-line JSON summary, and `run next`."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from salesops.runner import cli, report_folder

from builders import ROOT, tiny_export, write_export


@pytest.mark.parametrize("start_month, today, expected", [
    (1, dt.date(2026, 11, 29), "2027Q1"),  # calendar quarters: 2026Q4 holds today
    (1, dt.date(2026, 3, 31), "2026Q2"),
    (2, dt.date(2026, 11, 29), "2028Q1"),  # fiscal year from February, named by the year it ends: Nov is 2027Q4
    (7, dt.date(2026, 11, 29), "2027Q3"),  # from July: Oct-Dec 2026 is 2027Q2
])
def test_next_is_the_quarter_after_todays_in_the_params_fiscal_calendar(tmp_path, start_month, today, expected):
    params = tmp_path / "fiscal.yaml"
    params.write_text(f"fiscal_year_start_month: {start_month}\n", encoding="utf-8")
    assert cli.planned_quarter(str(params), today) == expected


def test_a_bad_quarter_exits_1_with_a_json_summary(capsys):
    assert cli.main(["run", "2027-Q1", "--json"]) == cli.EXIT_FAILED
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "failed" and summary["report"] is None and summary["quarter"] == "2027-Q1"
    assert "is not a quarter label" in summary["message"] and "is not a quarter label" in err


def test_a_run_of_a_folder_in_use_exits_3_busy(tmp_path, capsys):
    export = write_export(tmp_path / "export", tiny_export())
    out = tmp_path / "reports" / "2027Q1"
    out.parent.mkdir()
    with report_folder.exclusive_run(out, "2027Q1"):
        code = cli.main(["run", "2027Q1", "--data", str(export), "--out", str(out), "--json"])
    assert code == cli.EXIT_BUSY
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "busy" and "is in progress (pid" in summary["message"]
    assert not out.exists()


def test_a_wrong_command_line_exits_2():
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run"])
    assert exit_.value.code == cli.EXIT_USAGE


def test_the_scheduled_commands_of_docs_automation_are_valid_command_lines():
    text = (ROOT / "docs" / "automation.md").read_text(encoding="utf-8")
    cron = re.search(r"```cron\n(?:#.*\n)*(.+)\n```", text).group(1)
    workflow = yaml.safe_load(re.search(r"```yaml\n(.+?)```", text, re.S).group(1))
    commands = [cron.split(None, 5)[5]] + [step["run"] for step in workflow["steps"]]
    runs = [words[words.index(".venv/bin/salesops") + 1:] for command in commands
            for words in [shlex.split(command.replace("|", " | "), comments=True)] if ".venv/bin/salesops" in words]
    assert len(runs) == 2
    for words in runs:
        args = cli._parser().parse_args(words[:next((i for i, w in enumerate(words) if w in ("|", ">>", "||")),
                                                    len(words))])
        assert args.command == "run" and args.quarter == cli.NEXT and args.json
    assert workflow["schedule"] == " ".join(cron.split()[:5])  # the same schedule in both


def test_an_unknown_step_exits_2_naming_the_steps(capsys):
    assert cli.main(["run", "2027Q1", "--only", "plan", "--json"]) == cli.EXIT_USAGE
    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["status"] == "failed" and summary["exit_code"] == cli.EXIT_USAGE
    assert "no step named 'plan': the steps are 01_collect (collect), 02_demand (demand)" in err


def test_a_command_starts_without_the_iri_grammar_and_notebooks_still_validate(tmp_path):
    code = ("import sys; from salesops.runner import cli; cli.skip_slow_optional_imports(); import nbformat; "
            "nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); "
            "print('rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None)")
    result = subprocess.run([sys.executable, "-c", code, str(ROOT / "notebooks" / "01_collect.ipynb")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
