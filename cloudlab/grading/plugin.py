"""The pytest plugin that turns a rubric run into check results.

It gives each check the ``lab`` fixture, retries checks that declare ``wait``, and records
each outcome with the candidate-facing reason. Rubric problems (a file that fails to import,
a test without ``@check``, a repeated id) are collected as rubric errors, not as failures.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from cloudlab.grading.api import CheckSpec, Fail, Partial, Text
from cloudlab.grading.context import LabContext
from cloudlab.grading.score import ERROR, FAIL, PASS, CheckResult

RETRY_INTERVAL = 2.0
LOCATION = re.compile(r"^(\S+\.py):(\d+):", re.MULTILINE)


def spec_of(item: pytest.Item) -> CheckSpec | None:
    return getattr(getattr(item, "obj", None), "cloudlab_check", None)


def reason_for(error: BaseException) -> Text:
    if isinstance(error, Fail):
        return error.reason
    detail = f"{error.__class__.__name__}: {error}".strip().splitlines()[0][:300]
    return Text(zh=f"检查时出现意外结果（{detail}）", en=f"unexpected result while checking ({detail})")


def describe_collect_error(nodeid: str, longrepr: str) -> str:
    """``file:line: cannot be loaded: Error: message`` from pytest's import traceback."""
    where = nodeid
    for match in LOCATION.finditer(longrepr):
        if match.group(1).endswith(nodeid.split("::")[0]):
            where = f"{os.path.abspath(match.group(1))}:{match.group(2)}"  # noqa: PTH100 - pytest may print it relative; resolve() would follow symlinks
    errors = [line[1:].strip() for line in longrepr.splitlines() if line.startswith("E ")]
    message = errors[-1] if errors else (longrepr.strip().splitlines() or ["unknown error"])[-1]
    return f"{where}: cannot be loaded: {message}"


class RubricPlugin:
    def __init__(self, context: LabContext) -> None:
        self.context = context
        self.results: list[CheckResult] = []
        self.rubric_errors: list[str] = []
        self.collected: list[tuple[CheckSpec, str]] = []
        self._partials: dict[str, Partial] = {}
        self._started: dict[str, float] = {}
        self._started_at: dict[str, str] = {}

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.context.take_observations()  # drop what earlier checks' teardown ran

    @pytest.fixture
    def lab(self) -> LabContext:
        return self.context

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.rubric_errors.append(describe_collect_error(report.nodeid, str(report.longrepr)))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seen: dict[str, str] = {}
        for item in items:
            spec = spec_of(item)
            _, line, _ = item.location
            where = f"{item.path}:{(line or 0) + 1}"
            if spec is None:
                self.rubric_errors.append(f"{where}: {item.name} has no @check(...) (id, points, skills, title)")
            elif spec.id in seen:
                self.rubric_errors.append(f"{where}: check id {spec.id!r} is already used at {seen[spec.id]}")
            else:
                seen[spec.id] = where
                self.collected.append((spec, where))
        if self.rubric_errors:
            items.clear()
            return
        rank = self.context.level_rank
        absent = [item for item in items if not (spec := spec_of(item)) or not spec.applies_at(rank)]
        if absent:  # checks of a higher level than this lab's do not exist for it
            items[:] = [item for item in items if item not in absent]
            absent_ids = {spec.id for item in absent if (spec := spec_of(item))}
            self.collected = [(spec, where) for spec, where in self.collected if spec.id not in absent_ids]
            absent[0].config.hook.pytest_deselected(items=absent)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool:
        spec = spec_of(pyfuncitem)
        assert spec is not None
        arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        deadline = time.monotonic() + spec.wait
        self._started[pyfuncitem.nodeid] = time.monotonic()
        self._started_at[pyfuncitem.nodeid] = datetime.now(UTC).isoformat(timespec="milliseconds")
        while True:
            try:
                value = pyfuncitem.obj(**arguments)
            except Exception:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                time.sleep(min(RETRY_INTERVAL, remaining))
                continue
            if isinstance(value, Partial):
                self._partials[pyfuncitem.nodeid] = value
            return True

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        outcome = yield
        report = outcome.get_result()
        spec = spec_of(item)
        if spec is None or (call.when == "setup" and report.passed) or call.when == "teardown":
            return
        seconds = round(time.monotonic() - self._started.get(item.nodeid, time.monotonic()), 2)
        timing = (seconds, self._started_at.get(item.nodeid, ""))
        if call.when == "setup":  # a fixture failed: the check could not even start
            error = call.excinfo.value if call.excinfo else RuntimeError("setup failed")
            self.results.append(self._result(spec, ERROR, 0, reason_for(error), timing))
        elif call.excinfo is not None:
            self.results.append(self._result(spec, FAIL, 0, reason_for(call.excinfo.value), timing))
        else:
            partial = self._partials.get(item.nodeid)
            if partial is not None and spec.partial and partial.earned < spec.points:
                earned = min(max(0, partial.earned), spec.points)
                self.results.append(self._result(spec, FAIL, earned, partial.reason, timing))
            else:
                self.results.append(self._result(spec, PASS, spec.points, None, timing))

    def _result(
        self, spec: CheckSpec, outcome: str, earned: int, reason: Text | None, timing: tuple[float, str]
    ) -> CheckResult:
        return CheckResult(
            id=spec.id,
            points=spec.points,
            earned=earned,
            outcome=outcome,
            title=spec.title,
            skills=spec.skills,
            reason=reason,
            seconds=timing[0],
            hint=spec.hint,
            hidden=spec.hidden,
            started_at=timing[1],
            observations=self.context.take_observations(),
        )
