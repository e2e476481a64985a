"""``cloudlab reset``: back to the state right after setup."""

from __future__ import annotations

import time

import click

from cloudlab.cli.common import handle_errors, service


@click.command("reset")
@click.argument("lab")
@handle_errors
def reset_command(lab: str) -> None:
    """Recreate every host of LAB from its post-setup snapshot."""
    started = time.monotonic()
    service().reset(lab)
    click.echo(f"lab {lab} is back to its starting state ({time.monotonic() - started:.1f} s)")
