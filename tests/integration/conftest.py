"""Fixtures for tests on real Docker containers: a private state folder and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLOUDLAB = [sys.executable, "-m", "cloudlab"]


@dataclass
class Cli:
    """Runs ``cloudlab`` as a user would, with its own state folder."""

    env: dict[str, str]

    def run(self, *args: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*CLOUDLAB, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"cloudlab {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def json(self, *args: str, check: bool = True) -> dict[str, object]:
        return dict(json.loads(self.run(*args, "--json", check=check).stdout))


def docker_ready() -> str | None:
    result = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    return None if result.returncode == 0 else "the Docker engine is not running (make test starts it)"


@pytest.fixture(scope="session", autouse=True)
def _require_docker() -> None:
    problem = docker_ready()
    if problem:
        pytest.fail(f"{problem}; run 'make test' as root, or 'sh scripts/bootstrap.sh' first", pytrace=False)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    env = dict(os.environ, CLOUDLAB_HOME=str(tmp_path / "state"), CLOUDLAB_LANG="en")
    yield Cli(env)


def docker_objects(lab: str) -> list[str]:
    """Every container, network and image Docker still holds for ``lab``."""
    found = []
    for kind in ("ps -a", "network ls", "image ls"):
        result = subprocess.run(
            ["docker", *kind.split(), "-q", "--filter", f"label=cloudlab.lab={lab}"],
            capture_output=True,
            text=True,
            check=True,
        )
        found += [f"{kind}: {line}" for line in result.stdout.split()]
    return found
