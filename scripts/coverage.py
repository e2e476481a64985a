"""Rewrite the README's skill coverage table from the scenarios (a unit test checks it is current).

.venv/bin/python scripts/coverage.py
"""

from __future__ import annotations

from pathlib import Path

from cloudlab.scenarios.coverage import coverage_table, replace_block
from cloudlab.scenarios.loader import Catalog

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    readme = REPO / "README.md"
    table = coverage_table(Catalog(REPO / "scenarios").all())
    readme.write_text(replace_block(readme.read_text(encoding="utf-8"), table), encoding="utf-8")
    print(table)
