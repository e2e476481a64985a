"""A failing setup leaves the lab inspectable; fixing the cause and rerunning ``up`` converges."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import Cli, docker_objects

pytestmark = pytest.mark.docker
# Each test has its own lab: container names are global, and the tests run in parallel.
LAB = "it-flaky"
BROKEN_LAB = "it-flaky-broken"

SCENARIO = """\
id: flaky
version: 0.1.0
title: {zh: 会失败的安装, en: A setup that fails}
summary: {zh: 测试用, en: for tests}
level: 初级
skills: ["1.2.1"]
time_limit: 10
pass_mark: 50
hosts:
  - name: node1
  - name: node2
"""

SETUP = """\
- name: Prepare the nodes
  hosts: all
  tasks:
    - name: Require the marker file that the test creates between the two runs
      ansible.builtin.command: test -f /root/marker
      changed_when: false
"""

RUBRIC = """\
from cloudlab.grading.api import check, expect


@check(id="marker-present", points=1, skills=["1.2.1"], title={"zh": "标记文件存在", "en": "the marker exists"})
def test_marker(lab):
    expect(lab.host("node1").file("/root/marker").exists, zh="没有标记文件", en="no marker file")
"""


@pytest.fixture
def flaky_root(tmp_path: Path, cli: Cli) -> Path:
    root = tmp_path / "root"
    folder = root / "scenarios" / "flaky"
    (folder / "rubric").mkdir(parents=True)
    (root / "roles").mkdir()
    (folder / "scenario.yml").write_text(SCENARIO)
    (folder / "setup.yml").write_text(SETUP)
    (folder / "solve.yml").write_text(SETUP)
    (folder / "task.zh.md").write_text("创建 /root/marker\n")
    (folder / "task.en.md").write_text("create /root/marker\n")
    (folder / "rubric" / "test_flaky.py").write_text(textwrap.dedent(RUBRIC))
    cli.env["CLOUDLAB_ROOT"] = str(root)
    return root


def test_failed_setup_is_inspectable_and_rerun_converges(cli: Cli, flaky_root: Path) -> None:
    try:
        failed = cli.run("up", "flaky", "--lab", LAB, check=False)
        assert failed.returncode == 2
        assert "setup.yml failed on lab 'it-flaky'" in failed.stderr
        assert "Require the marker file" in failed.stderr and "Traceback" not in failed.stderr
        status = cli.json("status")
        (lab,) = status["labs"]  # type: ignore[misc]
        assert lab["state"] == "setup-failed"
        not_ready = cli.run("grade", LAB, check=False)
        assert not_ready.returncode == 2 and "setup-failed" in not_ready.stderr

        for host in ("node1", "node2"):  # the candidate (or instructor) inspects and fixes
            subprocess.run(["docker", "exec", f"cl-{LAB}-{host}", "touch", "/root/marker"], check=True)
        cli.run("up", "flaky", "--lab", LAB)
        assert cli.json("grade", LAB)["percent"] == 100.0
    finally:
        cli.run("down", LAB, check=False)
    assert docker_objects(LAB) == []


def test_broken_environment_is_not_a_low_score(cli: Cli, flaky_root: Path) -> None:
    try:
        cli.run("up", "flaky", "--lab", BROKEN_LAB, check=False)
        for host in ("node1", "node2"):
            subprocess.run(["docker", "exec", f"cl-{BROKEN_LAB}-{host}", "touch", "/root/marker"], check=True)
        cli.run("up", "flaky", "--lab", BROKEN_LAB)
        subprocess.run(["docker", "rm", "-f", f"cl-{BROKEN_LAB}-node2"], check=True, capture_output=True)
        broken = cli.run("grade", BROKEN_LAB, check=False)
        assert broken.returncode == 3
        assert "environment broken" in broken.stderr and "node2" in broken.stderr
        assert "Score" not in broken.stdout
        cli.run("reset", BROKEN_LAB)
        assert cli.json("grade", BROKEN_LAB)["percent"] == 100.0
    finally:
        cli.run("down", BROKEN_LAB, check=False)
    assert docker_objects(BROKEN_LAB) == []
