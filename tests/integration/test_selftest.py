"""Every scenario's rubric proves itself: baseline, 100 % solved, idempotent, each fault exact."""

from __future__ import annotations

import pytest

from tests.integration.conftest import REPO, Cli, docker_objects

pytestmark = [pytest.mark.docker, pytest.mark.slow]
SCENARIOS = sorted(p.name for p in (REPO / "scenarios").iterdir() if (p / "scenario.yml").is_file())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_selftest(cli: Cli, scenario: str) -> None:
    result = cli.run("selftest", scenario, check=False, timeout=3000)
    print(result.stdout)  # the step table with times, kept in the CI log
    assert result.returncode == 0, f"selftest {scenario} failed:\n{result.stdout}\n{result.stderr}"
    assert f"selftest {scenario}: passed" in result.stdout
    assert docker_objects(f"selftest-{scenario}") == []
