"""The ``cloudlab`` command group."""

from __future__ import annotations

import click

from cloudlab.cli.doctor import doctor_command
from cloudlab.cli.down import down_command
from cloudlab.cli.fault import fault_command
from cloudlab.cli.grade import grade_command
from cloudlab.cli.image import image_command
from cloudlab.cli.list_cmd import list_command
from cloudlab.cli.reset import reset_command
from cloudlab.cli.selftest import selftest_command
from cloudlab.cli.shell import shell_command
from cloudlab.cli.show import show_command
from cloudlab.cli.solve import solve_command
from cloudlab.cli.status import status_command
from cloudlab.cli.up import up_command
from cloudlab.cli.verify_result import verify_result_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cloudlab")
def cli() -> None:
    """cloudlab: practice labs for 云计算平台运维与开发 — bring up, reset and grade."""


for command in (
    list_command,
    show_command,
    up_command,
    status_command,
    shell_command,
    solve_command,
    fault_command,
    grade_command,
    reset_command,
    down_command,
    doctor_command,
    image_command,
    selftest_command,
    verify_result_command,
):
    cli.add_command(command)
