"""``cloudlab show``: the task sheet, with a lab's own parameters when given a lab."""

from __future__ import annotations

from typing import Any

import click

from cloudlab.cli.common import LANG_OPTION, catalog, handle_errors
from cloudlab.levels import lab_facts, lab_level, resolve_level
from cloudlab.scenarios.params import seat_params
from cloudlab.scenarios.tasksheet import render_task_sheet
from cloudlab.state import StateStore


@click.command("show")
@click.argument("name")
@LANG_OPTION
@click.option("--level", default=None, help="For a scenario: the level's sheet (初级/中级/高级 or 1-3).")
@handle_errors
def show_command(name: str, lang: str, level: str | None) -> None:
    """Print the task sheet of SCENARIO or LAB (a lab's sheet shows that lab's parameters and level)."""
    store = StateStore()
    facts: dict[str, Any] | None = None
    if store.exists(name):
        record = store.load(name)
        scenario, params = catalog().get(record.scenario), record.params
        chosen = lab_level(record, scenario)
        facts = lab_facts(record, scenario)
    else:
        scenario = catalog().get(name)
        params = seat_params(scenario.model, 0)
        chosen = resolve_level(scenario, level)
    click.echo(render_task_sheet(scenario, lang, params, chosen, facts))
