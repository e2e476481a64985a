"""The whole life of a real lab on Docker: up, grade, solve, grade, reset, grade, down."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Cli, docker_objects

pytestmark = [pytest.mark.docker, pytest.mark.slow]
LAB = "it-lb"


def checks_by_outcome(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["outcome"] for check in report["checks"]}


def test_lb_haproxy_lifecycle(cli: Cli) -> None:
    try:
        up = cli.run("up", "lb-haproxy", "--lab", LAB, "--seed", "42")
        assert "cloudlab shell it-lb lb1" in up.stdout

        again = cli.run("up", "lb-haproxy", "--lab", LAB, check=False)
        assert again.returncode == 2
        assert "already exists" in again.stderr and "cloudlab reset it-lb" in again.stderr

        status = cli.json("status")
        (lab,) = status["labs"]  # type: ignore[misc]
        assert lab["state"] == "ready" and lab["scenario"] == "lb-haproxy"
        assert {h["name"] for h in lab["hosts"]} == {"lb1", "web1", "web2", "client"}
        assert all(h["container"].startswith("cl-it-lb-") for h in lab["hosts"])
        assert lab["params"]["stats_password"]

        unsolved = cli.json("grade", LAB, check=False)
        assert unsolved["passed"] is False
        assert unsolved["score"] == 0 and set(checks_by_outcome(unsolved).values()) == {"fail"}

        show = cli.run("show", LAB, "--lang", "en")
        assert lab["params"]["stats_password"] in show.stdout

        cli.run("solve", LAB)
        solved = cli.json("grade", LAB)
        assert solved["percent"] == 100.0 and solved["passed"] is True
        text = cli.run("grade", LAB, "--lang", "zh")
        assert "通过" in text.stdout and "100%" in text.stdout

        resolve = cli.run("solve", LAB)
        assert "changed=0" in resolve.stdout, "the reference solution is not idempotent"

        cli.run("reset", LAB)
        reset = cli.json("grade", LAB, check=False)
        assert reset["score"] == unsolved["score"]
        assert checks_by_outcome(reset) == checks_by_outcome(unsolved)
    finally:
        cli.run("down", LAB, check=False)
    assert docker_objects(LAB) == []
    gone = cli.run("down", LAB, check=False)
    assert gone.returncode != 0 and "no lab named 'it-lb'" in gone.stderr
