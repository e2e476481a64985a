"""The whole life of a real lab on Docker: up, grade, solve, grade, reset, grade, down."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Cli, docker_objects

pytestmark = [pytest.mark.docker, pytest.mark.slow]
LAB = "it-lb"


def checks_by_outcome(report: dict[str, Any]) -> dict[str, str]:
    return {check["id"]: check["outcome"] for check in report["checks"]}


def check_reports_and_evidence(cli: Cli, tmp_path: Path) -> None:
    """On the solved lab: every report format, every mode, and a signed result that detects edits."""
    junit, html, evidence = tmp_path / "grade.xml", tmp_path / "grade.html", tmp_path / "evidence.json"
    report = cli.json("grade", LAB, "--junit", str(junit), "--html", str(html), "--evidence", str(evidence))
    assert report["evidence"] == str(evidence)
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests", "0")) == len(report["checks"])
    assert "lb-haproxy" in html.read_text() and "<svg" in html.read_text()
    bundle = json.loads(evidence.read_text())
    assert bundle["payload"]["params"]["stats_password"] == "********"
    secret = cli.json("status")["labs"][0]["params"]["stats_password"]  # type: ignore[index]
    assert secret not in evidence.read_text()
    assert any(check["observations"] for check in bundle["payload"]["checks"])

    verified = cli.run("verify-result", str(evidence))
    assert "VALID" in verified.stdout
    bundle["payload"]["percent"] = 99.0
    evidence.write_text(json.dumps(bundle))
    altered = cli.run("verify-result", str(evidence), check=False)
    assert altered.returncode == 1 and "ALTERED" in altered.stdout

    instructor = cli.run("grade", LAB, "--mode", "instructor", "--lang", "en")
    assert "ran [client]" in instructor.stdout
    exam = cli.json("grade", LAB, "--mode", "exam")
    assert exam["mode"] == "exam" and exam["percent"] == 100.0


def test_lb_haproxy_lifecycle(cli: Cli, tmp_path: Path) -> None:
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

        check_reports_and_evidence(cli, tmp_path)

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
