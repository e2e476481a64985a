"""``cloudlab grade``: run the rubric; exit 0 when the lab passes, 1 when not.

Every grade writes a signed evidence bundle; ``--junit`` and ``--html`` add reports.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cloudlab.cli.common import LANG_OPTION, catalog, handle_errors, service
from cloudlab.reporting.html import render_html, write_html
from cloudlab.reporting.json_report import score_json
from cloudlab.reporting.junit import write_junit
from cloudlab.reporting.modes import MODES
from cloudlab.reporting.terminal import render_score
from cloudlab.state import now_iso

PATH = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.command("grade")
@click.argument("lab")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="practice",
    show_default=True,
    help="practice: hints; exam: hidden checks as totals, terse; instructor: what each check saw.",
)
@click.option(
    "--evidence", type=PATH, default=None, help="Write the signed evidence bundle here (default: the lab's folder)."
)
@click.option("--junit", type=PATH, default=None, help="Also write a JUnit XML report.")
@click.option("--html", type=PATH, default=None, help="Also write a printable HTML report.")
@click.option("--candidate", default=None, help="Candidate name for the reports (default: the lab name).")
@LANG_OPTION
@handle_errors
def grade_command(
    lab: str,
    as_json: bool,
    mode: str,
    evidence: Path | None,
    junit: Path | None,
    html: Path | None,
    candidate: str | None,
    lang: str,
) -> None:
    """Grade LAB: one PASS/FAIL line per check, then score, percent and pass mark."""
    labs = service()
    score, evidence_path = labs.grade_with_evidence(lab, evidence=evidence, mode=mode, candidate=candidate)
    if junit:
        write_junit(junit, score, lang, mode)
    if html:
        scenario = catalog().get(score.scenario)
        page = render_html(
            score, lang=lang, mode=mode, title=scenario.model.title.get(lang), version=scenario.model.version,
            candidate=candidate or lab, graded_at=now_iso(), evidence=evidence_path,
        )  # fmt: skip
        write_html(html, page)
    if as_json:
        data = score_json(score, lang, mode)
        data["evidence"] = str(evidence_path)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_score(score, lang, mode))
        click.echo(f"evidence: {evidence_path}", err=True)
    sys.exit(0 if score.passed else 1)
