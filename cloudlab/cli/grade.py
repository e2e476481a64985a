"""``cloudlab grade``: run the rubric; exit 0 when the lab passes, 1 when not."""

from __future__ import annotations

import json
import sys

import click

from cloudlab.cli.common import LANG_OPTION, handle_errors, service
from cloudlab.reporting.terminal import render_score


@click.command("grade")
@click.argument("lab")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@LANG_OPTION
@handle_errors
def grade_command(lab: str, as_json: bool, lang: str) -> None:
    """Grade LAB: one PASS/FAIL line per check, then score, percent and pass mark."""
    score = service().grade(lab)
    if as_json:
        click.echo(json.dumps(score.to_json(lang), ensure_ascii=False, indent=2))
    else:
        click.echo(render_score(score, lang))
    sys.exit(0 if score.passed else 1)
