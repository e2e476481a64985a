"""``cloudlab image``: build the lab base image if needed and print its tag."""

from __future__ import annotations

import click

from cloudlab.cli.common import handle_errors


@click.command("image")
@handle_errors
def image_command() -> None:
    """Print the base image tag, building it first (from Debian's packages) when missing."""
    from cloudlab.image import ensure_image
    from cloudlab.providers.docker import connect

    click.echo(ensure_image(connect()))
