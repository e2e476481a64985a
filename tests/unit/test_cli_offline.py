"""The commands that need no Docker: list, show, status on an empty state folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cloudlab.cli.main import cli
from cloudlab.scenarios.loader import REQUIRED_FILES, Catalog
from cloudlab.scenarios.params import seat_params
from cloudlab.state import HostRecord, LabRecord, StateStore

REPO = Path(__file__).resolve().parents[2]
LB = REPO / "scenarios" / "lb-haproxy"


@pytest.fixture(autouse=True)
def offline(cloudlab_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real scenarios, an empty state folder, and any attempt to reach Docker fails loudly."""
    monkeypatch.setenv("CLOUDLAB_ROOT", str(REPO))
    monkeypatch.delenv("CLOUDLAB_LANG", raising=False)

    def no_docker() -> None:
        raise AssertionError("this command must not need Docker")

    monkeypatch.setattr("cloudlab.providers.docker.connect", no_docker)


@pytest.fixture
def lb_haproxy() -> None:
    missing = [name for name in ("scenario.yml", *REQUIRED_FILES, "rubric") if not (LB / name).exists()]
    if missing:
        pytest.skip(f"scenarios/lb-haproxy is not complete yet (missing {', '.join(missing)})")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def listed(*args: str) -> list[dict[str, Any]]:
    result = invoke("list", "--json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)["scenarios"]
    return rows


@pytest.mark.usefixtures("lb_haproxy")
def test_list_json() -> None:
    """Tools (the instructor dashboard, scripts) read this JSON."""
    (row,) = [row for row in listed() if row["id"] == "lb-haproxy"]
    assert row == {
        "id": "lb-haproxy",
        "title": {"zh": "使用 HAProxy 为 Web 集群配置负载均衡", "en": "Load-balance a web cluster with HAProxy"},
        "level": "中级",
        "levels": ["中级"],
        "skills": ["1.2.6", "2.2.3"],
    }


@pytest.mark.usefixtures("lb_haproxy")
@pytest.mark.parametrize(("skill", "found"), [("2.2", True), ("2.2.", True), ("2", True), ("1.2.6", True)])
def test_list_skill_filter_matches(skill: str, found: bool) -> None:
    assert ("lb-haproxy" in [row["id"] for row in listed("--skill", skill)]) is found


@pytest.mark.usefixtures("lb_haproxy")
@pytest.mark.parametrize("skill", ["9.9", "2.2.4", "2.2.33", "22", "1.2.60"])
def test_list_skill_filter_excludes(skill: str) -> None:
    """A prefix matches whole code parts: '2.2.3' is not under '2.2.33' or '22'."""
    assert "lb-haproxy" not in [row["id"] for row in listed("--skill", skill)]


@pytest.mark.usefixtures("lb_haproxy")
def test_list_skill_without_matches_is_empty() -> None:
    assert listed("--skill", "9.9") == []


@pytest.mark.usefixtures("lb_haproxy")
def test_list_text() -> None:
    result = invoke("list")
    assert result.exit_code == 0
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("lb-haproxy ")]
    assert "中级" in line and "1.2.6, 2.2.3" in line and "Load-balance a web cluster with HAProxy" in line


@pytest.mark.usefixtures("lb_haproxy")
@pytest.mark.parametrize(("lang", "heading"), [("zh", "# 使用 HAProxy"), ("en", "# Load-balance a web cluster")])
def test_show_renders_the_task_sheet(lang: str, heading: str) -> None:
    """Without a lab the sheet shows seat 0's values, so an instructor can preview it."""
    params = seat_params(Catalog(REPO / "scenarios").get("lb-haproxy").model, 0)
    result = invoke("show", "lb-haproxy", "--lang", lang)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(heading)
    assert f"`{params['stats_user']}`" in result.stdout
    assert params["stats_user"] == "lbadmin"
    assert params["stats_password"] in result.stdout
    assert str(params["stats_port"]) in result.stdout
    assert "{{" not in result.stdout and "{%" not in result.stdout


@pytest.mark.usefixtures("lb_haproxy")
def test_show_a_lab_uses_that_labs_params(cloudlab_home: Path) -> None:
    """A candidate's sheet must show the password of their own seat, not seat 0's."""
    StateStore().save(
        LabRecord(
            lab="seat-07",
            scenario="lb-haproxy",
            scenario_version="1.0.0",
            seed=7,
            params={"stats_user": "opsadmin", "stats_password": "Zq4wXr8nTb2c", "stats_port": 9404},
            state="ready",
            image="cloudlab/base:0123456789ab",
            hosts=[HostRecord("lb1", "cl-seat-07-lb1", "10.213.0.11")],
        )
    )
    result = invoke("show", "seat-07", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "`opsadmin`" in result.stdout and "Zq4wXr8nTb2c" in result.stdout and "9404" in result.stdout


def test_show_unknown_scenario() -> None:
    result = invoke("show", "nosuch", "--lang", "en")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: unknown scenario 'nosuch'; known scenarios: ")
    assert result.stderr.endswith(" (see 'cloudlab list')\n")
    assert "lb-haproxy" in result.stderr


def test_status_with_no_labs_needs_no_docker() -> None:
    """``status`` lists labs from disk first; with none it must not try to reach Docker."""
    result = invoke("status")
    assert result.exit_code == 0, result.output
    assert result.stdout == "no labs; start one with 'cloudlab up SCENARIO'\n"
    result = invoke("status", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"labs": []}


def test_status_of_an_unknown_lab() -> None:
    result = invoke("status", "nosuch")
    assert result.exit_code == 2
    assert result.stderr == "error: no lab named 'nosuch'; existing labs: none (see 'cloudlab status')\n"
