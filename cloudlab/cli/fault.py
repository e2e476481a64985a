"""``cloudlab fault``: break a lab on purpose (troubleshooting practice, rubric tests)."""

from __future__ import annotations

import click

from cloudlab.cli.common import ProgressLine, handle_errors, service


@click.command("fault")
@click.argument("lab")
@click.argument("fault")
@handle_errors
def fault_command(lab: str, fault: str) -> None:
    """Apply FAULT (a playbook under the scenario's faults/) to LAB."""
    progress = ProgressLine(quiet=False)
    try:
        result = service(progress).fault(lab, fault)
    finally:
        progress.done()
    click.echo(f"applied fault {fault} to {lab} in {result.seconds:.1f} s")
