"""``cloudlab up``: create a lab's hosts and run its setup."""

from __future__ import annotations

import time

import click

from cloudlab.cli.common import ProgressLine, handle_errors, service
from cloudlab.labs import LabStatus
from cloudlab.providers.base import HostStatus


def describe_access(status: LabStatus) -> str:
    record = status.record
    level = f", level {record.level}" if record.level else ""
    lines = [f"lab {record.lab} ({record.scenario}{level}, seed {record.seed}) is {record.state}:"]
    states = {host.name: host.state for host in status.hosts}
    for host in status.record.hosts:
        lines.append(
            f"  {host.name:<10} {host.address:<15} {states.get(host.name, 'missing'):<9} cloudlab shell {status.record.lab} {host.name}"
        )
    lines.append(f"task sheet: cloudlab show {status.record.lab}    self-check: cloudlab grade {status.record.lab}")
    return "\n".join(lines)


@click.command("up")
@click.argument("scenario")
@click.option("--lab", default=None, help="Lab name (default: the scenario id).")
@click.option("--seed", type=int, default=None, help="Seat seed for per-seat parameters (default: random).")
@click.option("--level", default=None, help="Level to run (初级/中级/高级 or 1-3; default: the scenario's lowest).")
@handle_errors
def up_command(scenario: str, lab: str | None, seed: int | None, level: str | None) -> None:
    """Create the hosts of SCENARIO and run its setup."""
    progress = ProgressLine(quiet=False)
    labs = service(progress)
    started = time.monotonic()
    try:
        record, _ = labs.up(scenario, lab, seed, level)
    finally:
        progress.done()
    hosts = labs.provider.describe(record.lab)
    click.echo(describe_access(LabStatus(record, hosts)))
    click.echo(f"ready in {time.monotonic() - started:.1f} s")


__all__ = ["HostStatus", "describe_access", "up_command"]
