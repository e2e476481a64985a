"""The README's coverage table is generated from the scenarios and must stay in sync."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cloudlab.scenarios.coverage import END, START, coverage_table, replace_block
from cloudlab.scenarios.loader import Catalog

REPO = Path(__file__).resolve().parents[2]


def test_readme_coverage_table_is_current() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = coverage_table(Catalog(REPO / "scenarios").all())
    assert replace_block(readme, table) == readme, (
        "README.md's coverage table is out of date; run '.venv/bin/python scripts/coverage.py'"
    )


def test_every_skill_code_has_a_title_in_both_languages() -> None:
    data = yaml.safe_load((REPO / "cloudlab" / "standard" / "skills.yml").read_text(encoding="utf-8"))
    for code, title in data.items():
        assert set(title) == {"zh", "en"}, f"skills.yml {code}: a comma in a flow mapping split the title? {title}"
        assert all(isinstance(text, str) and text for text in title.values()), code


def test_every_lab_appears_under_each_of_its_skills() -> None:
    scenarios = Catalog(REPO / "scenarios").all()
    table = coverage_table(scenarios)
    rows = {line.split("|")[1].strip(): line for line in table.splitlines()[2:]}
    for scenario in scenarios:
        for code in scenario.model.skills:
            assert f"`{scenario.id}`" in rows[code]


def test_replace_block_needs_markers() -> None:
    with pytest.raises(ValueError, match="no coverage markers"):
        replace_block("# readme\n", "| table |")
    assert replace_block(f"a\n{START}\nold\n{END}\nb\n", "new") == f"a\n{START}\nnew\n{END}\nb\n"
