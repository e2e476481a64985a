"""``cloudlab status``: labs, their hosts, addresses and state."""

from __future__ import annotations

import json

import click

from cloudlab.cli.common import handle_errors, service
from cloudlab.cli.up import describe_access
from cloudlab.labs import LabStatus


def status_json(status: LabStatus) -> dict[str, object]:
    record = status.record
    return {
        "lab": record.lab,
        "scenario": record.scenario,
        "level": record.level,
        "state": record.state,
        "params": record.params,
        "hosts": [{"name": h.name, "address": h.address, "container": h.container} for h in record.hosts],
    }


@click.command("status")
@click.argument("lab", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def status_command(lab: str | None, as_json: bool) -> None:
    """Show LAB, or every lab."""
    statuses = service().status(lab)
    if as_json:
        click.echo(json.dumps({"labs": [status_json(s) for s in statuses]}, ensure_ascii=False, indent=2))
    elif not statuses:
        click.echo("no labs; start one with 'cloudlab up SCENARIO'")
    else:
        click.echo("\n\n".join(describe_access(s) for s in statuses))
