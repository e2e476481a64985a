"""``cloudlab list``: the scenario catalog."""

from __future__ import annotations

import json
from typing import Any

import click

from cloudlab.cli.common import catalog, handle_errors


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--skill", default=None, help="Only scenarios with a skill code starting with this, e.g. 2.2")
@handle_errors
def list_command(as_json: bool, skill: str | None) -> None:
    """List the scenarios: id, title zh/en, level, skill codes."""
    scenarios = catalog().all()
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
            "skills": list(s.model.skills),
        }
        for s in scenarios
    ]
    if as_json:
        click.echo(json.dumps({"scenarios": rows}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['id']:<20} {row['level']}  {', '.join(row['skills']):<16} {row['title']['zh']} / {row['title']['en']}"
        )
