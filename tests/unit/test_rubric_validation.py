"""Rubric problems are reported with file and line before any lab is touched."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cloudlab.errors import GradingError
from cloudlab.grading.validate import validate_rubric, yaml_line
from cloudlab.scenarios.loader import Catalog, LoadedScenario

REPO = Path(__file__).resolve().parents[2]

GOOD = """from cloudlab.grading.api import check


@check(id="one", points=1, skills=["2.2.3"], title={"zh": "一", "en": "one"})
def test_one(lab):
    pass
"""


def copy_scenario(tmp_path: Path, rubric: str | None = None) -> Path:
    folder = tmp_path / "scenarios" / "lb-haproxy"
    shutil.copytree(REPO / "scenarios" / "lb-haproxy", folder, ignore=shutil.ignore_patterns("__pycache__"))
    if rubric is not None:
        (folder / "rubric" / "test_extra.py").write_text(rubric)
    return folder


def load(tmp_path: Path) -> LoadedScenario:
    return Catalog(tmp_path / "scenarios").get("lb-haproxy")


def problems(tmp_path: Path) -> str:
    with pytest.raises(GradingError) as caught:
        validate_rubric(load(tmp_path))
    return str(caught.value)


def test_the_real_rubric_is_valid() -> None:
    checks = validate_rubric(Catalog(REPO / "scenarios").get("lb-haproxy"))
    assert len(checks) >= 6 and all(re.search(r"test_\w+\.py:\d+$", c.where) for c in checks)


def test_import_failure_names_file_and_line(tmp_path: Path) -> None:
    folder = copy_scenario(tmp_path, "import os\nimport no_such_module_here\n")
    text = problems(tmp_path)
    assert (
        f"{folder}/rubric/test_extra.py:2: cannot be loaded: ModuleNotFoundError: No module named 'no_such_module_here'"
        in text
    )


def test_check_without_id_names_file_and_line(tmp_path: Path) -> None:
    copy_scenario(tmp_path, GOOD.replace('id="one", ', ""))
    text = problems(tmp_path)
    assert "test_extra.py:4: cannot be loaded: TypeError" in text and "'id'" in text


def test_test_without_check_decorator(tmp_path: Path) -> None:
    copy_scenario(tmp_path, "def test_plain(lab):\n    pass\n")
    assert re.search(r"test_extra\.py:1: test_plain has no @check", problems(tmp_path))


def test_duplicate_ids_name_both_places(tmp_path: Path) -> None:
    copy_scenario(tmp_path, GOOD + GOOD.replace("def test_one", "def test_again").split("\n\n\n", 1)[1])
    text = problems(tmp_path)
    assert re.search(r"test_extra\.py:\d+: check id 'one' is already used at .*test_extra\.py:\d+", text)


def test_unknown_skill_code(tmp_path: Path) -> None:
    copy_scenario(tmp_path, GOOD.replace('["2.2.3"]', '["9.9.9"]'))
    assert re.search(
        r"test_extra\.py:\d+: check 'one' names skill code '9\.9\.9', which the standard does not have",
        problems(tmp_path),
    )


def test_skill_the_scenario_does_not_claim(tmp_path: Path) -> None:
    copy_scenario(tmp_path, GOOD.replace('["2.2.3"]', '["2.2.4"]'))
    assert "names skill 2.2.4, which scenario.yml's skills do not list" in problems(tmp_path)


def test_fault_declaring_unknown_check(tmp_path: Path) -> None:
    folder = copy_scenario(tmp_path)
    path = folder / "scenario.yml"
    path.write_text(path.read_text().replace("      - haproxy-enabled\n", "      - haproxy-enabld\n", 1))
    line = yaml_line(path, ["faults", "not-enabled", "breaks", 0])
    assert line is not None
    assert f"{path}:{line}: faults.not-enabled.breaks[0]: no check has id 'haproxy-enabld'" in problems(tmp_path)


def test_up_refuses_a_broken_rubric_before_creating_hosts(tmp_path: Path) -> None:
    from cloudlab.labs import LabService
    from cloudlab.state import StateStore

    class NoProvider:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"the provider was used ({name}) although the rubric is broken")

    copy_scenario(tmp_path, "import no_such_module_here\n")
    labs = LabService(
        Catalog(tmp_path / "scenarios"), StateStore(tmp_path / "state"), NoProvider(), REPO / "roles", lambda: "img"
    )  # type: ignore[arg-type]
    with pytest.raises(GradingError, match="cannot be loaded"):
        labs.up("lb-haproxy", "x")
    assert not (tmp_path / "state" / "labs").exists()
