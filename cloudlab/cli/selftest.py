"""``cloudlab selftest``: prove a scenario's rubric on a real lab."""

from __future__ import annotations

import sys
import time

import click

from cloudlab.cli.common import handle_errors, service
from cloudlab.reporting.terminal import pad
from cloudlab.selftest import Selftest, Step

ROW = "{} {:<46} {:<46} {:>7}  {}"  # the step name is padded by display width (CJK)


def print_step(step: Step) -> None:
    mark = "ok" if step.ok else "MISMATCH"
    click.echo(ROW.format(pad(step.name[:36], 36), step.expected[:46], step.got[:46], f"{step.seconds:.1f}s", mark))
    if not step.ok and len(step.got) > 46:
        click.echo(f"    {step.got}")


@click.command("selftest")
@click.argument("scenario")
@click.option("--keep", is_flag=True, help="Keep the lab afterwards for inspection.")
@click.option(
    "--level", "levels", multiple=True, help="Level(s) to prove (初级/中级/高级 or 1-3, repeatable; default: all)."
)
@handle_errors
def selftest_command(scenario: str, keep: bool, levels: tuple[str, ...]) -> None:
    """Check that SCENARIO's rubric scores its setup, solution and faults exactly as declared."""
    labs = service()
    chosen = list(levels) or labs.catalog.get(scenario).model.offered_levels()
    started = time.monotonic()
    reports = []
    for level in chosen:
        click.echo(ROW.format(pad("step", 36), "expected", "got", "time", ""))
        reports.append(Selftest(labs, on_step=print_step).run(scenario, keep=keep, level=level))
    steps = sum(len(report.steps) for report in reports)
    ok = all(report.ok for report in reports)
    done = ", ".join(report.level for report in reports)
    verdict = "passed" if ok else "FAILED"
    click.echo(f"selftest {scenario}: {verdict} (level {done}; {steps} steps, {time.monotonic() - started:.0f} s)")
    if keep:
        click.echo(f"lab kept: cloudlab status {reports[-1].lab}")
    sys.exit(0 if ok else 1)
