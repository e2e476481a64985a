"""``cloudlab selftest``: prove a scenario's rubric on a real lab."""

from __future__ import annotations

import sys
import time

import click

from cloudlab.cli.common import handle_errors, service
from cloudlab.selftest import Selftest, Step

ROW = "{:<36} {:<46} {:<46} {:>7}  {}"


def print_step(step: Step) -> None:
    mark = "ok" if step.ok else "MISMATCH"
    click.echo(ROW.format(step.name[:36], step.expected[:46], step.got[:46], f"{step.seconds:.1f}s", mark))
    if not step.ok and len(step.got) > 46:
        click.echo(f"    {step.got}")


@click.command("selftest")
@click.argument("scenario")
@click.option("--keep", is_flag=True, help="Keep the lab afterwards for inspection.")
@handle_errors
def selftest_command(scenario: str, keep: bool) -> None:
    """Check that SCENARIO's rubric scores its setup, solution and faults exactly as declared."""
    click.echo(ROW.format("step", "expected", "got", "time", ""))
    started = time.monotonic()
    report = Selftest(service(), on_step=print_step).run(scenario, keep=keep)
    verdict = "passed" if report.ok else "FAILED"
    click.echo(f"selftest {scenario}: {verdict} ({len(report.steps)} steps, {time.monotonic() - started:.0f} s)")
    if keep:
        click.echo(f"lab kept: cloudlab status {report.lab}")
    sys.exit(0 if report.ok else 1)
