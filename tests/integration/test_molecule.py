"""Molecule converges setup + solve on its own containers and verifies with the same rubric at 100 %."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.xdist_group("molecule")]
ALL_SCENARIOS = sorted(p.name for p in (REPO / "molecule").iterdir() if (p / "molecule.yml").is_file())
# `make test` (CI) runs lb-haproxy's scenario: Molecule converges setup + solve and verifies with
# the lab's own rubric, the path every lab scenario takes. Every lab is proven by `cloudlab
# selftest` in CI; the other lab scenarios and the role-* scenarios (1-7 minutes each on
# two cores) run with `make molecule` (CLOUDLAB_MOLECULE=all).
CI_SCENARIOS = ("lb-haproxy",)
SCENARIOS = [name for name in ALL_SCENARIOS if os.environ.get("CLOUDLAB_MOLECULE") == "all" or name in CI_SCENARIOS]


ANSI = re.compile(r"\x1b\[[0-9;]*m")
FAILURE_MARKS = ("fatal:", "FAILED!", "failed=1", "ERROR", "AssertionError", "Fail:", " FAILED ", "FAIL ")


def failure_excerpt(output: str, context: int = 12) -> str:
    """The lines around each failing task or check (Molecule's tail is only its destroy step)."""
    lines = [ANSI.sub("", line) for line in output.splitlines()]
    keep: set[int] = set()
    for number, line in enumerate(lines):
        if any(mark in line for mark in FAILURE_MARKS):
            keep.update(range(max(0, number - context), min(len(lines), number + 3)))
    excerpt = [lines[number] for number in sorted(keep)] or lines[-60:]
    return "\n".join(excerpt[-200:])


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario: str) -> None:
    bin_dir = Path(sys.executable).parent
    image = subprocess.run([bin_dir / "cloudlab", "image"], capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ, CLOUDLAB_BASE_IMAGE=image, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(
        [bin_dir / "molecule", "test", "-s", scenario],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert result.returncode == 0, (
        f"molecule test -s {scenario} failed:\n{failure_excerpt(result.stdout + result.stderr)}"
    )
    assert "100%" in result.stdout + result.stderr
