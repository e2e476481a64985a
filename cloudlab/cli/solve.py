"""``cloudlab solve``: apply the reference solution."""

from __future__ import annotations

import click

from cloudlab.cli.common import ProgressLine, handle_errors, service


@click.command("solve")
@click.argument("lab")
@handle_errors
def solve_command(lab: str) -> None:
    """Apply the scenario's reference solution to LAB."""
    progress = ProgressLine(quiet=False)
    try:
        result = service(progress).solve(lab)
    finally:
        progress.done()
    click.echo(f"solved {lab} in {result.seconds:.1f} s (changed={result.changed})")
