"""``python -m cloudlab`` is the ``cloudlab`` command."""

from cloudlab.cli.main import cli

cli()
