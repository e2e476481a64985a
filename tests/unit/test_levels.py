"""One scenario, several levels: checks and faults of higher levels exist only there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cloudlab.errors import GradingError, LabError, ScenarioError
from cloudlab.grading.api import check
from cloudlab.grading.context import LabContext
from cloudlab.grading.engine import run_rubric
from cloudlab.grading.validate import validate_rubric
from cloudlab.levels import lab_facts, resolve_level
from cloudlab.scenarios.loader import Catalog, LoadedScenario
from cloudlab.scenarios.tasksheet import render_task_sheet
from cloudlab.state import HostRecord, LabRecord

REPO = Path(__file__).resolve().parents[2]
TITLE = {"zh": "标题", "en": "title"}
RUBRIC = """from cloudlab.grading.api import check


@check(id="lb-answers-basic", points=1, skills=["2.2.3"], title={"zh": "一", "en": "one"})
def test_basic(lab):
    pass


@check(id="lb-answers-more", points=2, skills=["2.2.3"], title={"zh": "二", "en": "two"}, level="中级")
def test_more(lab):
    pass
"""


def leveled_scenario(tmp_path: Path, edit: dict[str, object] | None = None, rubric: str = RUBRIC) -> LoadedScenario:
    """lb-haproxy copied and turned into a 初级/中级 scenario with a two-check rubric."""
    folder = tmp_path / "scenarios" / "lb-haproxy"
    shutil.copytree(REPO / "scenarios" / "lb-haproxy", folder, ignore=shutil.ignore_patterns("__pycache__"))
    for old in (folder / "rubric").glob("test_*.py"):
        old.unlink()
    (folder / "rubric" / "test_levels.py").write_text(rubric, encoding="utf-8")
    data = yaml.safe_load((folder / "scenario.yml").read_text(encoding="utf-8"))
    data.update(level="初级", levels=["初级", "中级"], baseline=[])
    data["faults"] = {
        "backend-missing": {"description": TITLE, "breaks": ["lb-answers-basic"]},
        "stats-no-auth": {"description": TITLE, "breaks": ["lb-answers-more"], "level": "中级"},
    }
    data.update(edit or {})
    (folder / "scenario.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return Catalog(tmp_path / "scenarios").get("lb-haproxy")


def test_check_level_must_be_a_level() -> None:
    with pytest.raises(ValueError, match="level must be one of 初级, 中级, 高级"):
        check(id="c", points=1, skills=["1.2.6"], title=TITLE, level="expert")


def test_lower_level_lab_grades_only_its_checks(tmp_path: Path) -> None:
    scenario = leveled_scenario(tmp_path)
    low = run_rubric(scenario.rubric_dir, LabContext("x", {}, {}, level="初级"))
    high = run_rubric(scenario.rubric_dir, LabContext("x", {}, {}, level="中级"))
    assert [r.id for r in low.results] == ["lb-answers-basic"]
    assert [r.id for r in high.results] == ["lb-answers-basic", "lb-answers-more"]
    every = run_rubric(scenario.rubric_dir, LabContext("x", {}, {}), collect_only=True)  # validation sees all
    assert [spec.id for spec, _ in every.collected] == ["lb-answers-basic", "lb-answers-more"]


def test_resolve_level_accepts_names_and_ranks(tmp_path: Path) -> None:
    scenario = leveled_scenario(tmp_path)
    assert resolve_level(scenario, None) == "初级"
    assert resolve_level(scenario, "2") == "中级"
    assert resolve_level(scenario, "Intermediate") == "中级"
    with pytest.raises(LabError, match=r"offers level\(s\) 初级, 中级, not 高级; choose one with --level"):
        resolve_level(scenario, "高级")
    with pytest.raises(LabError, match="'expert' is not a level"):
        resolve_level(scenario, "expert")


def test_levels_must_start_at_level_and_rise(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"must be the first \(lowest\) entry"):
        leveled_scenario(tmp_path, {"level": "中级"})
    shutil.rmtree(tmp_path / "scenarios")
    with pytest.raises(ScenarioError, match="distinct levels from low to high"):
        leveled_scenario(tmp_path, {"levels": ["初级", "高级", "中级"]})


def test_fault_of_a_level_not_offered(tmp_path: Path) -> None:
    faults = {"backend-missing": {"description": TITLE, "breaks": ["lb-answers-basic"], "level": "高级"}}
    with pytest.raises(ScenarioError, match="fault 'backend-missing' has level 高级, which 'levels' does not offer"):
        leveled_scenario(tmp_path, {"faults": faults})


def test_check_of_a_level_not_offered_is_a_rubric_problem(tmp_path: Path) -> None:
    scenario = leveled_scenario(tmp_path, rubric=RUBRIC.replace('level="中级"', 'level="高级"'))
    with pytest.raises(GradingError, match=r"check 'lb-answers-more' has level 高级, but scenario.yml offers only"):
        validate_rubric(scenario)


def test_fault_breaking_nothing_at_its_level(tmp_path: Path) -> None:
    faults = {"stats-no-auth": {"description": TITLE, "breaks": ["lb-answers-more"]}}
    scenario = leveled_scenario(tmp_path, {"faults": faults})
    with pytest.raises(GradingError, match="fault 'stats-no-auth' is used from level 初级, but none of the checks"):
        validate_rubric(scenario)


def test_lab_facts_for_playbooks(tmp_path: Path) -> None:
    scenario = leveled_scenario(tmp_path)
    record = LabRecord(
        lab="seat-01",
        scenario="lb-haproxy",
        scenario_version="1.0.0",
        seed=1,
        params={},
        state="ready",
        image="img",
        hosts=[HostRecord("lb1", "cl-seat-01-lb1", "10.213.0.11", {"lab": "10.213.0.11"})],
        networks={"lab": "10.213.0.0/24"},
        level="中级",
    )
    assert lab_facts(record, scenario) == {
        "cloudlab_lab": "seat-01",
        "cloudlab_level": "中级",
        "cloudlab_level_rank": 2,
        "cloudlab_hosts": {"lb1": {"lab": "10.213.0.11"}},
        "cloudlab_subnets": {"lab": "10.213.0.0/24"},
    }


def test_task_sheet_sees_the_level(tmp_path: Path) -> None:
    scenario = leveled_scenario(tmp_path)
    (scenario.folder / "task.en.md").write_text("{{ level }} {{ level_rank }}\n", encoding="utf-8")
    assert render_task_sheet(scenario, "en", {}, "中级") == "中级 2\n"
    assert render_task_sheet(scenario, "en", {}) == "初级 1\n"


def test_task_sheet_of_a_lab_sees_its_subnets(tmp_path: Path) -> None:
    scenario = leveled_scenario(tmp_path)
    template = "{% if cloudlab_subnets is defined %}{{ cloudlab_subnets.lab }}{% else %}x.x.x.0/24{% endif %}\n"
    (scenario.folder / "task.en.md").write_text(template, encoding="utf-8")
    assert render_task_sheet(scenario, "en", {}) == "x.x.x.0/24\n"
    facts = {"cloudlab_subnets": {"lab": "10.213.4.0/24"}}
    assert render_task_sheet(scenario, "en", {}, facts=facts) == "10.213.4.0/24\n"


def test_context_addresses_and_controls() -> None:
    context = LabContext("x", {"lb1": "c-lb1"}, {}, addresses={"lb1": {"lab": "10.0.0.5", "dmz": "10.1.0.5"}})
    context.subnets["lab"] = "10.0.0.0/24"
    assert context.address("lb1") == "10.0.0.5"
    assert context.address("lb1", "dmz") == "10.1.0.5"
    assert context.subnet("lab") == "10.0.0.0/24"
    with pytest.raises(KeyError, match="host 'lb1' is not on network 'wan'"):
        context.address("lb1", "wan")
    with pytest.raises(RuntimeError, match="cannot restart hosts"):
        context.restart("lb1")

    class Recorder:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def stop_host(self, container: str) -> None:
            self.calls.append(f"stop {container}")

        def start_host(self, container: str) -> None:
            self.calls.append(f"start {container}")

        def restart_host(self, container: str) -> None:
            self.calls.append(f"restart {container}")

    recorder = Recorder()
    context.controls = recorder
    context.stop("lb1")
    context.start("lb1")
    assert recorder.calls == ["stop c-lb1", "start c-lb1"]
    assert [o.command for o in context.take_observations()] == ["docker stop c-lb1", "docker start c-lb1"]
