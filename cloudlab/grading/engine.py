"""Run a scenario's rubric against a lab's hosts, in-process, and return a Score."""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
from pathlib import Path

import pytest

from cloudlab.errors import GradingError
from cloudlab.grading.context import LabContext
from cloudlab.grading.plugin import RubricPlugin
from cloudlab.grading.score import Score

HEALTH_TIMEOUT = 20


def health_gate(context: LabContext) -> None:
    """Every host must answer a trivial command, or there is nothing fair to grade."""
    broken = []
    for name, container in context.containers.items():
        try:
            result = context.host(name).run(f"timeout {HEALTH_TIMEOUT} true")
            if result.rc != 0:
                broken.append(f"{name} ({container}): {result.stderr.strip() or 'rc ' + str(result.rc)}")
        except Exception as error:  # testinfra raises plain RuntimeError for a missing container
            broken.append(f"{name} ({container}): {str(error).strip().splitlines()[0][:200]}")
    if broken:
        raise GradingError(
            "environment broken, no score given: "
            + "; ".join(broken)
            + ". Bring the hosts back with 'cloudlab reset' (or 'cloudlab up')."
        )


def forget_rubric_modules(rubric_dir: Path) -> None:
    """Drop imported rubric modules before and after a run.

    pytest names a rubric module by its file name alone (``test_lb``), so a cached module would
    shadow another scenario's file of the same name, or a rubric edited since the last grade.
    """
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if location and (Path(location).parent == rubric_dir or Path(location).parent.name == "rubric"):
            del sys.modules[name]


def run_rubric(rubric_dir: Path, context: LabContext, collect_only: bool = False) -> RubricPlugin:
    """Run every ``test_*.py`` under ``rubric_dir``; return the plugin holding the results.

    With ``collect_only`` nothing runs: the rubric is only imported and its checks listed.
    """
    plugin = RubricPlugin(context)
    with tempfile.TemporaryDirectory(prefix="cloudlab-grade-") as scratch:
        ini = Path(scratch) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")  # ignore the project's own pytest settings
        arguments = [
            str(rubric_dir),
            "-c",
            str(ini),
            "--rootdir",
            str(rubric_dir),
            "--import-mode=importlib",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "no:randomly",
            "-p",
            "no:terminal",
            "-p",
            "no:logging",
            "-W",
            "ignore",
            "-s",
            "-o",
            "python_files=test_*.py",
        ]
        if collect_only:
            arguments.append("--collect-only")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            forget_rubric_modules(rubric_dir)
            try:
                exit_code = pytest.main(arguments, plugins=[plugin])
            finally:
                forget_rubric_modules(rubric_dir)
    if plugin.rubric_errors:
        raise GradingError("the rubric is broken:\n  " + "\n  ".join(plugin.rubric_errors))
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise GradingError(f"{rubric_dir}: the rubric could not be run (pytest exit {int(exit_code)})")
    if not plugin.collected:
        raise GradingError(f"{rubric_dir}: the rubric has no checks")
    if not collect_only and not plugin.results:
        raise GradingError(f"{rubric_dir}: the rubric has no checks")
    return plugin


def grade(*, lab: str, rubric_dir: Path, context: LabContext, pass_mark: int) -> Score:
    """Health gate, then the rubric; a broken environment raises instead of scoring low."""
    health_gate(context)
    plugin = run_rubric(rubric_dir, context)
    return Score(
        lab=lab, scenario=context.scenario, pass_mark=pass_mark, checks=tuple(plugin.results), level=context.level
    )
