"""Golden tests for the loader's user-facing error text, and the real scenarios loading cleanly.

Each case is a folder ``tests/golden/loader/<case>/`` with a broken ``scenario/<id>/`` and an
``expected.txt`` holding the exact message, ``{dir}`` standing for the scenario folder. An
optional ``id.txt`` names the id to ask for (default: the case's only scenario folder). A file
``scenario.yml.in`` is copied as ``scenario.yml``: ansible-lint loads every ``*.yml`` in the
repository and its load-failure rule cannot be skipped, so deliberately invalid YAML hides there.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from cloudlab.errors import ScenarioError, UnknownScenarioError
from cloudlab.scenarios.loader import REQUIRED_FILES, Catalog, LoadedScenario, format_location

REPO = Path(__file__).resolve().parents[2]
CASES_DIR = REPO / "tests" / "golden" / "loader"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def materialise(case: Path, into: Path) -> Path:
    """Copy the case's scenarios into ``into`` (the repo stays read-only); return the catalog root."""
    root = into / "scenario"
    shutil.copytree(case / "scenario", root)
    for hidden in root.rglob("*.yml.in"):
        hidden.rename(hidden.with_suffix(""))
    return root


def requested_id(case: Path) -> str:
    explicit = case / "id.txt"
    if explicit.is_file():
        return explicit.read_text(encoding="utf-8").strip()
    (only,) = [p.name for p in (case / "scenario").iterdir() if p.is_dir()]
    return only


def load_error(case: Path, tmp_path: Path) -> tuple[ScenarioError, str]:
    root = materialise(case, tmp_path)
    scenario_id = requested_id(case)
    with pytest.raises(ScenarioError) as caught:
        Catalog(root).get(scenario_id)
    return caught.value, str(caught.value).replace(str(root / scenario_id), "{dir}")


def golden_diff(case: str, expected: str, actual: str) -> str:
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"tests/golden/loader/{case}/expected.txt",
        tofile="actual message",
    )
    return f"the loader's message for case {case!r} changed:\n{''.join(diff)}"


def test_every_case_has_an_expected_message() -> None:
    """A case folder without expected.txt would silently test nothing."""
    assert CASES, f"no golden cases under {CASES_DIR}"
    missing = [case for case in CASES if not (CASES_DIR / case / "expected.txt").is_file()]
    assert not missing, f"golden cases without expected.txt: {missing}"


@pytest.mark.parametrize("case", CASES)
def test_loader_error_text(case: str, tmp_path: Path) -> None:
    """The exact sentence a scenario author reads for each kind of mistake."""
    expected = (CASES_DIR / case / "expected.txt").read_text(encoding="utf-8").removesuffix("\n")
    error, actual = load_error(CASES_DIR / case, tmp_path)
    assert actual == expected, golden_diff(case, expected, actual)
    assert error.exit_code == 2


def test_unknown_id_is_its_own_error_type(tmp_path: Path) -> None:
    """The CLI (and callers like ``show``) tell a typo in an id apart from a broken scenario."""
    error, _ = load_error(CASES_DIR / "unknown-id", tmp_path)
    assert isinstance(error, UnknownScenarioError)


def test_missing_file_cases_differ_from_a_valid_scenario_only_by_the_file(tmp_path: Path) -> None:
    """Control: the golden base scenario is valid, so each case shows one defect, not several."""
    root = materialise(CASES_DIR / "missing-setup", tmp_path)
    (root / "demo" / "setup.yml").write_text("---\n- name: Set up\n  hosts: all\n  tasks: []\n", encoding="utf-8")
    loaded = Catalog(root).get("demo")
    assert loaded.id == "demo"
    assert loaded.playbook("setup") == root / "demo" / "setup.yml"
    assert loaded.rubric_dir == root / "demo" / "rubric"


def test_catalog_lists_only_folders_with_a_scenario_file(tmp_path: Path) -> None:
    """Work-in-progress folders (no scenario.yml yet) are not offered as scenarios."""
    root = materialise(CASES_DIR / "unknown-id", tmp_path)
    assert Catalog(root).ids() == ["demo"]
    assert Catalog(tmp_path / "nowhere").ids() == []


@pytest.mark.parametrize(
    ("location", "text"),
    [
        (("hosts", 0, "name"), "hosts[0].name"),
        (("params", "db_password", "generate"), "params.db_password.generate"),
        ((), "(top level)"),
    ],
)
def test_format_location(location: tuple[int | str, ...], text: str) -> None:
    """Field paths read like the YAML the author wrote."""
    assert format_location(location) == text


def test_non_utf8_scenario_file_is_a_scenario_error(tmp_path: Path) -> None:
    root = materialise(CASES_DIR / "missing-setup", tmp_path)
    path = root / "demo" / "scenario.yml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    with pytest.raises(ScenarioError, match=r"scenario\.yml"):
        Catalog(root).get("demo")


def test_yaml_reader_error_names_a_position(tmp_path: Path) -> None:
    root = materialise(CASES_DIR / "missing-setup", tmp_path)
    path = root / "demo" / "scenario.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("Demo scenario", "Demo\x07scenario"), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        Catalog(root).get("demo")
    assert "::" not in str(caught.value)
    assert "<unicode string>" not in str(caught.value)


def real_scenario(scenario_id: str) -> LoadedScenario:
    folder = REPO / "scenarios" / scenario_id
    missing = [name for name in (*REQUIRED_FILES, "scenario.yml", "rubric") if not (folder / name).exists()]
    if missing:
        pytest.skip(f"scenarios/{scenario_id} is not complete yet (missing {', '.join(missing)})")
    return Catalog(REPO / "scenarios").get(scenario_id)


def test_lb_haproxy_loads_cleanly() -> None:
    """The shipped scenario passes its own schema, and every fault names a playbook and checks."""
    scenario = real_scenario("lb-haproxy")
    model = scenario.model
    assert model.id == "lb-haproxy"
    assert model.host_names() == ["lb1", "web1", "web2", "client"]
    assert {"stats_user", "stats_password"} <= set(model.params)
    for fault in model.faults:
        assert scenario.fault_playbook(fault).is_file()
