"""Presets against the spellings real CRM exports use (the export corpus of issue 12)."""

from __future__ import annotations

from salesops.data.inputs import load_inputs

from builders import folder_params

HUBSPOT_SPELLINGS = """
Deal ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Create Date,Deal Owner
D1,a,Qualified to Buy,Sales Pipeline,100,2026-06-17,2026-03-29,dana@example.com
D2,b,Qualified to buy,Sales Pipeline,100,2026-06-17,2026-03-29,dana@example.com
D3,c,Decision maker bought-in,Sales Pipeline,100,2026-06-17,2026-03-29,dana@example.com
D4,d,Closed won,Sales Pipeline,100,2026-01-09,2025-08-26,dana@example.com
D5,e,Closed Lost,Sales Pipeline,100,2026-01-09,2025-08-26,dana@example.com
"""


def test_hubspot_preset_reads_each_spelling_of_the_default_stages(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "opportunities.csv").write_text(HUBSPOT_SPELLINGS.strip() + "\n", encoding="utf-8")
    opps = load_inputs(folder_params(folder, preset="hubspot")).tables["opportunities"]
    assert opps["stage"].tolist() == ["discover", "discover", "proposal", "closed_won", "closed_lost"]
    assert opps["opportunity_id"].tolist() == ["D1", "D2", "D3", "D4", "D5"]
