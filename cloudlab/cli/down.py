"""``cloudlab down``: remove every container, network, image and file of a lab."""

from __future__ import annotations

import click

from cloudlab.cli.common import handle_errors, service


@click.command("down")
@click.argument("lab")
@handle_errors
def down_command(lab: str) -> None:
    """Remove LAB completely."""
    removed = service().down(lab)
    click.echo(f"removed lab {lab}" + (f": {len(removed)} Docker object(s)" if removed else ""))
