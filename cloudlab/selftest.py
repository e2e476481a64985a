"""``selftest``: the rubric proves itself on a real lab.

1. up → grade: exactly the scenario's declared baseline checks pass;
2. solve → grade: 100 %;
3. solve again: nothing changes (idempotence);
4. each fault on the solved lab → grade: exactly the checks it declares fail → reset → grade:
   the baseline again. Every fault starts from the solved lab, restored from a snapshot taken
   after step 3 (seconds, where re-running a heavy solution would take minutes).

With ``level``, only that level's checks and faults take part (default: the lowest level).

The rubric is validated before any lab is touched; the lab is removed at the end unless kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from cloudlab.errors import CloudlabError
from cloudlab.grading.score import Score
from cloudlab.grading.validate import validate_rubric
from cloudlab.labs import LabService
from cloudlab.levels import resolve_level
from cloudlab.scenarios.models import level_rank


@dataclass
class Step:
    name: str
    expected: str
    got: str = ""
    ok: bool = False
    seconds: float = 0.0


@dataclass
class SelftestReport:
    scenario: str
    lab: str
    level: str
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)


def describe(ids: set[str], word: str) -> str:
    """``fail: none`` / ``fail: a, b`` / ``fail 6: a, b, …`` — short enough for one table row."""
    if not ids:
        return f"{word}: none"
    names = sorted(ids)
    if len(names) <= 2:
        return f"{word}: {', '.join(names)}"
    return f"{word} {len(names)}: {', '.join(names[:2])}, …"


def compare_failing(score: Score, expected_failing: set[str]) -> tuple[bool, str]:
    failing = {check.id for check in score.checks if check.outcome != "pass"}
    if failing == expected_failing:
        return True, describe(failing, "fail")
    extra, missing = failing - expected_failing, expected_failing - failing
    parts = []
    if extra:
        parts.append("also failed: " + ", ".join(sorted(extra)))
    if missing:
        parts.append("did not fail: " + ", ".join(sorted(missing)))
    return False, "; ".join(parts)


class Selftest:
    def __init__(self, labs: LabService, on_step: Callable[[Step], None] | None = None) -> None:
        self.labs = labs
        self.on_step = on_step

    @contextmanager
    def step(self, report: SelftestReport, name: str, expected: str) -> Iterator[Step]:
        step = Step(name, expected)
        report.steps.append(step)
        started = time.monotonic()
        try:
            yield step
        except CloudlabError as error:
            step.ok, step.got = False, f"error: {str(error).splitlines()[0]}"
            raise
        finally:
            step.seconds = round(time.monotonic() - started, 1)
            if self.on_step is not None:
                self.on_step(step)

    def run(self, scenario_id: str, keep: bool = False, level: str | None = None) -> SelftestReport:
        scenario = self.labs.catalog.get(scenario_id)
        chosen = resolve_level(scenario, level)
        rank = level_rank(chosen)
        ids = {check.spec.id for check in validate_rubric(scenario) if check.spec.applies_at(rank)}
        faults = {
            name: set(fault.breaks) & ids
            for name, fault in scenario.model.faults.items()
            if fault.level is None or level_rank(fault.level) <= rank
        }
        lab = f"selftest-{scenario.id}"[:41]
        report = SelftestReport(scenario.id, lab, chosen)
        if self.labs.store.exists(lab) or self.labs.provider.describe(lab):
            self.labs.down(lab)
        try:
            self._run_steps(report, scenario.id, ids - set(scenario.model.baseline), faults)
        except CloudlabError:
            pass  # the failing step carries the error; later steps cannot run
        finally:
            if not keep:
                self.labs.down(lab)
        return report

    def _grade_step(self, report: SelftestReport, name: str, expected_failing: set[str]) -> None:
        with self.step(report, name, describe(expected_failing, "fail")) as step:
            step.ok, step.got = compare_failing(self.labs.grade(report.lab), expected_failing)

    def _action(self, report: SelftestReport, name: str, expected: str, action: Callable[[], object]) -> None:
        with self.step(report, name, expected) as step:
            action()
            step.ok, step.got = True, "done"

    def _run_steps(
        self, report: SelftestReport, scenario: str, baseline: set[str], faults: dict[str, set[str]]
    ) -> None:
        lab, labs = report.lab, self.labs
        self._action(report, f"up ({report.level})", "setup succeeds", lambda: labs.up(scenario, lab, 1, report.level))
        self._grade_step(report, "grade after setup (baseline)", baseline)
        self._action(report, "solve", "solution applies", lambda: labs.solve(lab))
        self._grade_step(report, "grade after solve (100 %)", set())
        with self.step(report, "solve again (idempotent)", "changed=0") as step:
            changed = labs.solve(lab).changed
            step.ok, step.got = changed == 0, f"changed={changed}"
        if faults:  # each fault starts from this solved state, restored in seconds
            self._action(report, "snapshot the solved lab", "snapshot taken", lambda: labs.checkpoint(lab, "solved"))
        for index, (name, breaks) in enumerate(faults.items()):
            if index:
                self._action(report, "restore the solved lab", "restored", lambda: labs.reset(lab, "solved"))
            self._action(report, f"fault {name}", "fault applies", partial(labs.fault, lab, name))
            self._grade_step(report, f"grade after fault {name}", breaks)
            self._action(report, "reset", "back to setup", lambda: labs.reset(lab))
            self._grade_step(report, "grade after reset (baseline)", baseline)
        if not faults:
            self._action(report, "reset", "back to setup", lambda: labs.reset(lab))
            self._grade_step(report, "grade after reset (baseline)", baseline)
