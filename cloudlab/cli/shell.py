"""``cloudlab shell``: an interactive root shell on a lab host."""

from __future__ import annotations

import os

import click

from cloudlab.cli.common import handle_errors, service
from cloudlab.errors import LabError


@click.command("shell")
@click.argument("lab")
@click.argument("host")
@handle_errors
def shell_command(lab: str, host: str) -> None:
    """Open a root shell on HOST of LAB."""
    labs = service()
    containers = labs.store.load(lab).containers()
    if host not in containers:
        raise LabError(f"lab {lab!r} has no host {host!r}; its hosts: {', '.join(containers)}")
    argv = labs.provider.shell_argv(containers[host])
    os.execvp(argv[0], argv)
