"""Find scenarios under ``scenarios/`` and load them, naming file and field for every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cloudlab.errors import ScenarioError, UnknownScenarioError
from cloudlab.scenarios.models import Scenario

REQUIRED_FILES = ("setup.yml", "solve.yml", "task.zh.md", "task.en.md")


class LoadedScenario:
    """A validated scenario and the folder its playbooks, rubric and task sheets live in."""

    def __init__(self, model: Scenario, folder: Path) -> None:
        self.model = model
        self.folder = folder

    @property
    def id(self) -> str:
        return self.model.id

    def playbook(self, name: str) -> Path:
        return self.folder / f"{name}.yml"

    def fault_playbook(self, fault: str) -> Path:
        return self.folder / "faults" / f"{fault}.yml"

    @property
    def rubric_dir(self) -> Path:
        return self.folder / "rubric"


def format_location(location: tuple[int | str, ...]) -> str:
    """``('hosts', 0, 'name')`` → ``hosts[0].name``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def describe_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: {error.error_count()} problem(s):"]
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field; remove it or check its spelling"
        elif item["type"] == "missing":
            message = "required field is missing"
        lines.append(f"  {format_location(tuple(item['loc']))}: {message}")
    return "\n".join(lines)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {error.start} is 0x{error.object[error.start]:02x}); save the file as UTF-8"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f": line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise ScenarioError(f"{path}{where}: not valid YAML: {error.problem or error}") from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise ScenarioError(
            f"{path}: line {line}: not valid YAML: control character {error.character!r} is not allowed; remove it"
        ) from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{path}: not valid YAML: {error}") from None


def load_scenario_file(folder: Path) -> LoadedScenario:
    """Load and check one scenario folder."""
    path = folder / "scenario.yml"
    if not path.is_file():
        raise ScenarioError(f"{folder}: no scenario.yml; every scenario folder needs one")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: must be a mapping of fields (id, version, title, ...)")
    try:
        model = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(describe_validation_error(path, error)) from None
    if model.id != folder.name:
        raise ScenarioError(f"{path}: id: is {model.id!r} but the folder is {folder.name!r}; make them equal")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    missing += [f"faults/{fault}.yml" for fault in model.faults if not (folder / "faults" / f"{fault}.yml").is_file()]
    if not (folder / "rubric").is_dir():
        missing.append("rubric/")
    if missing:
        raise ScenarioError(f"{folder}: missing {', '.join(missing)}")
    unknown = [name for name in model.params if name.startswith("cloudlab_")]
    if unknown:
        raise ScenarioError(f"{path}: params.{unknown[0]}: the prefix 'cloudlab_' is reserved")
    return LoadedScenario(model, folder)


class Catalog:
    """The scenarios found under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "scenario.yml").is_file())

    def get(self, scenario_id: str) -> LoadedScenario:
        if scenario_id not in self.ids():
            known = ", ".join(self.ids()) or "none"
            raise UnknownScenarioError(
                f"unknown scenario {scenario_id!r}; known scenarios: {known} (see 'cloudlab list')"
            )
        return load_scenario_file(self.root / scenario_id)

    def all(self) -> list[LoadedScenario]:
        return [self.get(scenario_id) for scenario_id in self.ids()]
