"""``cloudlab list``: the scenario catalog."""

from __future__ import annotations

import json
from typing import Any

import click

from cloudlab.cli.common import catalog, handle_errors
from cloudlab.reporting.terminal import pad
from cloudlab.scenarios.coverage import coverage_table


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--skill", default=None, help="Only scenarios with a skill code starting with this, e.g. 2.2")
@click.option("--coverage", is_flag=True, help="Print the README's skill coverage table (Markdown).")
@handle_errors
def list_command(as_json: bool, skill: str | None, coverage: bool) -> None:
    """List the scenarios: id, title zh/en, level(s), skill codes."""
    scenarios = catalog().all()
    if coverage:
        click.echo(coverage_table(scenarios))
        return
    if skill:
        scenarios = [
            s
            for s in scenarios
            if any(code == skill or code.startswith(skill.rstrip(".") + ".") for code in s.model.skills)
        ]
    rows: list[dict[str, Any]] = [
        {
            "id": s.id,
            "title": {"zh": s.model.title.zh, "en": s.model.title.en},
            "level": s.model.level,
            "levels": s.model.offered_levels(),
            "skills": list(s.model.skills),
        }
        for s in scenarios
    ]
    if as_json:
        click.echo(json.dumps({"scenarios": rows}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['id']:<20} {pad('/'.join(row['levels']), 14)} {', '.join(row['skills']):<16} "
            f"{row['title']['zh']} / {row['title']['en']}"
        )
