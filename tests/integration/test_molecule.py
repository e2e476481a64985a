"""Molecule converges setup + solve on its own containers and verifies with the same rubric at 100 %."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.xdist_group("molecule")]
ALL_SCENARIOS = sorted(p.name for p in (REPO / "molecule").iterdir() if (p / "molecule.yml").is_file())
# `make test` (CI) runs the lab scenarios: each converges a lab's setup + solve and verifies it
# with the lab's own rubric. The role-* scenarios test roles on their own; they take about as
# long again, so they run with `make molecule` (CLOUDLAB_MOLECULE=all).
SCENARIOS = [
    name for name in ALL_SCENARIOS if os.environ.get("CLOUDLAB_MOLECULE") == "all" or not name.startswith("role-")
]


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
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    assert result.returncode == 0, f"molecule test -s {scenario} failed:\n{tail}"
    assert "100%" in result.stdout + result.stderr
