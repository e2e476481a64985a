"""Check a scenario's rubric before any lab is touched.

Every problem names its file and line: a rubric file that fails to import, a test without
``@check``, a repeated id, a skill code the standard does not have (or the scenario does not
claim), and ids in ``baseline`` or a fault's ``breaks`` that no check has.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from cloudlab.errors import GradingError
from cloudlab.grading.api import CheckSpec
from cloudlab.grading.context import LabContext
from cloudlab.grading.engine import run_rubric
from cloudlab.scenarios.loader import LoadedScenario
from cloudlab.scenarios.models import level_rank
from cloudlab.standard import is_known_skill


@dataclass(frozen=True)
class DeclaredCheck:
    spec: CheckSpec
    where: str


def yaml_line(path: Path, keys: list[str | int]) -> int | None:
    """The 1-based line of the node at ``keys`` in a YAML file, if it can be found."""
    node = yaml.compose(path.read_text(encoding="utf-8"))
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            node = next((value for name, value in node.value if name.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return None
        if node is None:
            return None
    return node.start_mark.line + 1 if node is not None else None


def collect_checks(scenario: LoadedScenario) -> list[DeclaredCheck]:
    context = LabContext(scenario=scenario.id, containers={}, params={})
    plugin = run_rubric(scenario.rubric_dir, context, collect_only=True)
    return [DeclaredCheck(spec, where) for spec, where in plugin.collected]


def level_problems(scenario: LoadedScenario, checks: list[DeclaredCheck]) -> list[str]:
    """Checks of levels the scenario does not offer; faults that break nothing at their level."""
    offered = scenario.model.offered_levels()
    problems = [
        f"{check.where}: check {check.spec.id!r} has level {check.spec.level}, but scenario.yml offers only {', '.join(offered)}"
        for check in checks
        if check.spec.level is not None and check.spec.level not in offered
    ]
    path = scenario.folder / "scenario.yml"
    for name, fault in scenario.model.faults.items():
        level = fault.level or offered[0]
        present = {check.spec.id for check in checks if check.spec.applies_at(level_rank(level))}
        if fault.breaks and not set(fault.breaks) & present and set(fault.breaks) <= {c.spec.id for c in checks}:
            problems.append(
                f"{path}:{yaml_line(path, ['faults', name]) or '?'}: fault {name!r} is used from level {level}, "
                f"but none of the checks it breaks exist at that level; give it 'level:' of its checks"
            )
    return problems


def validate_rubric(scenario: LoadedScenario) -> list[DeclaredCheck]:
    """All declared checks, or a GradingError listing every problem with file and line."""
    checks = collect_checks(scenario)
    problems = []
    claimed = set(scenario.model.skills)
    for check in checks:
        for code in check.spec.skills:
            if not is_known_skill(code):
                problems.append(
                    f"{check.where}: check {check.spec.id!r} names skill code {code!r}, which the standard does not have"
                )
            elif code not in claimed:
                problems.append(
                    f"{check.where}: check {check.spec.id!r} names skill {code}, which scenario.yml's skills do not list"
                )
    problems += level_problems(scenario, checks)
    ids = {check.spec.id for check in checks}
    path = scenario.folder / "scenario.yml"
    references: list[tuple[list[str | int], str]] = [
        (["baseline", i], ref) for i, ref in enumerate(scenario.model.baseline)
    ]
    for name, fault in scenario.model.faults.items():
        references += [(["faults", name, "breaks", i], ref) for i, ref in enumerate(fault.breaks)]
    for keys, ref in references:
        if ref not in ids:
            field = ".".join(str(k) for k in keys[:-1]) + f"[{keys[-1]}]"
            problems.append(f"{path}:{yaml_line(path, keys) or '?'}: {field}: no check has id {ref!r}")
    if problems:
        raise GradingError(f"the rubric of {scenario.id} is invalid:\n  " + "\n  ".join(problems))
    return checks
