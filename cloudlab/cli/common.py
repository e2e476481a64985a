"""What every command shares: building the lab service, error handling, progress display."""

from __future__ import annotations

import functools
import locale
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from cloudlab.errors import CloudlabError
from cloudlab.labs import LabService
from cloudlab.paths import roles_dir, scenarios_dir
from cloudlab.runner.events import Progress
from cloudlab.scenarios.loader import Catalog
from cloudlab.state import StateStore

F = TypeVar("F", bound=Callable[..., Any])


def default_lang() -> str:
    """zh unless the locale says otherwise: the candidates are Chinese students first."""
    value = (
        os.environ.get("CLOUDLAB_LANG")
        or os.environ.get("LC_ALL")
        or os.environ.get("LANG")
        or locale.getlocale()[0]
        or ""
    )
    return "en" if value.lower().startswith("en") else "zh"


LANG_OPTION = click.option(
    "--lang", type=click.Choice(["zh", "en"]), default=default_lang, show_default="from the locale"
)


def handle_errors(function: F) -> F:
    """Turn a CloudlabError into one clear message and its exit code, never a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except CloudlabError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; rerun the same command to continue", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


class ProgressLine:
    """Live progress on a terminal (one rewritten line), one line per task otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last_task = ""

    def __call__(self, progress: Progress) -> None:
        if self.quiet:
            return
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            sys.stderr.write("\r\033[K" + progress.line()[:width])
            sys.stderr.flush()
        elif progress.task != self.last_task:
            self.last_task = progress.task
            sys.stderr.write(f"  {progress.task}\n")

    def done(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def catalog() -> Catalog:
    return Catalog(scenarios_dir())


def service(progress: ProgressLine | None = None) -> LabService:
    from cloudlab.image import ensure_image
    from cloudlab.providers.docker import DockerProvider

    provider = DockerProvider()

    def announce(tag: str) -> None:
        click.echo(f"building the lab base image {tag} from Debian's packages (once, about two minutes)…", err=True)

    def image() -> str:
        return ensure_image(provider.client, on_build=announce)

    return LabService(catalog(), StateStore(), provider, roles_dir(), image, on_progress=progress)
