"""The rubric runner, with rubrics that only read ``lab.params`` (no hosts, no Docker).

Each test writes a tiny rubric folder under tmp_path and runs it in-process, exactly as
``cloudlab grade`` does.
"""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudlab.errors import GradingError
from cloudlab.grading import plugin as rubric_plugin
from cloudlab.grading.api import Text, check
from cloudlab.grading.context import LabContext
from cloudlab.grading.engine import grade, run_rubric
from cloudlab.grading.score import ERROR, FAIL, PASS, CheckResult

HEADER = "from cloudlab.grading.api import Fail, Partial, check, expect\n\n"
PARAMS = {"stats_user": "lbadmin", "stats_port": 8404}


@pytest.fixture(autouse=True)
def forget_rubric_modules(tmp_path: Path) -> Iterator[None]:
    """Rubric modules stay in sys.modules after a run; drop this test's so tests stay independent."""
    yield
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(tmp_path)):
            del sys.modules[name]


def write_rubric(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return folder


def run(folder: Path, params: dict[str, Any] | None = None) -> list[CheckResult]:
    context = LabContext(scenario="x", containers={}, params=dict(PARAMS if params is None else params))
    return run_rubric(folder, context).results


def run_one(tmp_path: Path, body: str, name: str = "test_one.py") -> CheckResult:
    (only,) = run(write_rubric(tmp_path / "rubric", {name: body}))
    return only


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``text``."""
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_passing_check(tmp_path: Path) -> None:
    result = run_one(
        tmp_path,
        """
        @check(id="stats-user", points=3, skills=["1.2.6", "2.2.3"], title={"zh": "统计用户", "en": "stats user"})
        def test_stats_user(lab):
            expect(lab.params["stats_user"] == "lbadmin", zh="用户不对", en="wrong user")
        """,
    )
    assert (result.id, result.points, result.earned, result.outcome) == ("stats-user", 3, 3, PASS)
    assert result.skills == ("1.2.6", "2.2.3")
    assert result.title == Text("统计用户", "stats user")
    assert result.reason is None


def test_fail_carries_its_bilingual_reason(tmp_path: Path) -> None:
    result = run_one(
        tmp_path,
        """
        @check(id="stats-port", points=2, skills=["1.2.6"], title={"zh": "统计端口", "en": "stats port"})
        def test_stats_port(lab):
            if lab.params["stats_port"] != 9000:
                raise Fail(zh="端口是 8404，应为 9000", en="the port is 8404, not 9000")
        """,
    )
    assert (result.outcome, result.earned) == (FAIL, 0)
    assert result.reason == Text("端口是 8404，应为 9000", "the port is 8404, not 9000")
    assert result.message("zh") == "统计端口：端口是 8404，应为 9000"
    assert result.message("en") == "stats port: the port is 8404, not 9000"


def test_expect_fails_with_its_reason(tmp_path: Path) -> None:
    result = run_one(
        tmp_path,
        """
        @check(id="port", points=1, skills=["1.2.6"], title={"zh": "端口", "en": "port"})
        def test_port(lab):
            expect(lab.params["stats_port"] == 1, zh="端口错误", en="wrong port")
        """,
    )
    assert result.reason == Text("端口错误", "wrong port")


@pytest.mark.parametrize(
    ("statement", "detail"),
    [
        ("lab.params['nosuch']", "KeyError: 'nosuch'"),
        ("1 / 0", "ZeroDivisionError: division by zero"),
        ("lab.host('web1')", "KeyError: \"the rubric asked for host 'web1'; this lab has \""),
        ("assert lab.params['stats_port'] == 80", "AssertionError: assert 8404 == 80"),
    ],
)
def test_unexpected_exception_is_a_failure_naming_it(tmp_path: Path, statement: str, detail: str) -> None:
    """A bug in a check (or a surprise on the host) costs the check, never crashes the grader."""
    result = run_one(
        tmp_path,
        f"""
        @check(id="odd", points=2, skills=["1.2.6"], title={{"zh": "奇怪", "en": "odd"}})
        def test_odd(lab):
            {statement}
        """,
    )
    assert (result.outcome, result.earned) == (FAIL, 0)
    assert result.reason is not None
    assert result.reason.en == f"unexpected result while checking ({detail})"
    assert result.reason.zh == f"检查时出现意外结果（{detail}）"


def test_fixture_error_is_an_error_outcome(tmp_path: Path) -> None:
    """When the check cannot even start, the outcome says so (error), not that the lab is wrong."""
    result = run_one(
        tmp_path,
        """
        import pytest

        @pytest.fixture
        def database(lab):
            raise ConnectionError("no route to db1")

        @check(id="db-ready", points=2, skills=["3.3.1"], title={"zh": "数据库", "en": "database"})
        def test_db(database):
            pass
        """,
    )
    assert (result.outcome, result.earned) == (ERROR, 0)
    assert result.reason is not None
    assert result.reason.en == "unexpected result while checking (ConnectionError: no route to db1)"


def counting_check(counter: Path, wait: float, passes_on: int) -> str:
    return f"""
        from pathlib import Path

        COUNTER = Path({str(counter)!r})

        @check(id="converges", points=2, skills=["2.2.3"], title={{"zh": "收敛", "en": "converges"}}, wait={wait})
        def test_converges(lab):
            tries = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
            COUNTER.write_text(str(tries))
            expect(tries >= {passes_on}, zh=f"第 {{tries}} 次", en=f"try {{tries}}")
        """


def test_wait_retries_until_the_check_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Failover and replication converge: a check with ``wait`` is retried within its bound."""
    monkeypatch.setattr(rubric_plugin, "RETRY_INTERVAL", 0.3)
    counter = tmp_path / "tries"
    result = run_one(tmp_path, counting_check(counter, wait=3, passes_on=3))
    assert counter.read_text() == "3"
    assert (result.outcome, result.earned) == (PASS, 2)
    assert result.seconds < 3


def test_wait_gives_up_after_about_wait_seconds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rubric_plugin, "RETRY_INTERVAL", 0.3)
    counter = tmp_path / "tries"
    started = time.monotonic()
    result = run_one(tmp_path, counting_check(counter, wait=1.2, passes_on=1000))
    elapsed = time.monotonic() - started
    assert 1.2 <= elapsed < 2.5
    assert 1.2 <= result.seconds < 2.5
    tries = int(counter.read_text())
    assert tries >= 4
    assert result.outcome == FAIL
    assert result.reason == Text(f"第 {tries} 次", f"try {tries}")  # the last attempt's reason


def test_without_wait_a_check_runs_once(tmp_path: Path) -> None:
    counter = tmp_path / "tries"
    result = run_one(tmp_path, counting_check(counter, wait=0, passes_on=2))
    assert counter.read_text() == "1"
    assert result.outcome == FAIL


@pytest.mark.parametrize(
    ("partial", "returned", "outcome", "earned", "reason"),
    [
        (True, "Partial(earned=1, reason=Text('一半', 'half'))", FAIL, 1, Text("一半", "half")),
        (True, "Partial(earned=1)", FAIL, 1, Text("部分完成", "partly done")),
        (True, "Partial(earned=-2)", FAIL, 0, Text("部分完成", "partly done")),
        (True, "Partial(earned=3)", PASS, 3, None),
        (True, "None", PASS, 3, None),
        (False, "Partial(earned=1)", PASS, 3, None),  # only partial=True checks may award part
    ],
)
def test_partial_credit(
    tmp_path: Path, partial: bool, returned: str, outcome: str, earned: int, reason: Text | None
) -> None:
    result = run_one(
        tmp_path,
        f"""
        from cloudlab.grading.api import Text

        @check(id="three-parts", points=3, skills=["1.2.6"], title={{"zh": "三项", "en": "three"}}, partial={partial})
        def test_parts(lab):
            return {returned}
        """,
    )
    assert (result.outcome, result.earned, result.reason) == (outcome, earned, reason)


def test_results_keep_file_order_and_metadata(tmp_path: Path) -> None:
    folder = write_rubric(
        tmp_path / "rubric",
        {
            "test_first.py": """
                @check(id="b-check", points=1, skills=["1.2.6"], title={"zh": "乙", "en": "b"},
                       hint={"zh": "看看配置", "en": "look at the config"}, hidden=True)
                def test_b(lab):
                    raise Fail(zh="不对", en="wrong")

                @check(id="a-check", points=2, skills=["1.2.6"], title={"zh": "甲", "en": "a"})
                def test_a(lab):
                    pass
                """,
            "test_second.py": """
                @check(id="c-check", points=4, skills=["2.2.3"], title={"zh": "丙", "en": "c"})
                def test_c(lab):
                    pass
                """,
        },
    )
    results = run(folder)
    assert [r.id for r in results] == ["b-check", "a-check", "c-check"]
    assert results[0].hint == Text("看看配置", "look at the config")
    assert results[0].hidden
    assert not results[1].hidden


def test_grade_returns_a_score(tmp_path: Path) -> None:
    """grade(): health gate (nothing to check without hosts), rubric, then the Score."""
    folder = write_rubric(
        tmp_path / "rubric",
        {
            "test_grade.py": """
                @check(id="ok", points=3, skills=["1.2.6"], title={"zh": "好", "en": "ok"})
                def test_ok(lab):
                    pass

                @check(id="bad", points=1, skills=["1.2.6"], title={"zh": "坏", "en": "bad"})
                def test_bad(lab):
                    raise Fail(zh="坏了", en="broken")
                """
        },
    )
    context = LabContext(scenario="x", containers={}, params=PARAMS)
    score = grade(lab="seat-01", rubric_dir=folder, context=context, pass_mark=75)
    assert (score.lab, score.scenario, score.score, score.max, score.passed) == ("seat-01", "x", 3, 4, True)


# -- broken rubrics are GradingErrors, not low scores -------------------------------------


def grading_error(folder: Path) -> str:
    with pytest.raises(GradingError) as caught:
        run(folder)
    assert caught.value.exit_code == 3
    return str(caught.value)


def test_test_without_check_names_file_and_line(tmp_path: Path) -> None:
    folder = write_rubric(
        tmp_path / "rubric",
        {
            "test_plain.py": """
                @check(id="fine", points=1, skills=["1.2.6"], title={"zh": "好", "en": "fine"})
                def test_fine(lab):
                    pass

                def test_forgotten(lab):
                    pass
                """
        },
    )
    path = folder / "test_plain.py"
    message = grading_error(folder)
    assert message == (
        "the rubric is broken:\n"
        f"  {path}:{line_of(path, 'def test_forgotten')}: test_forgotten has no @check(...) (id, points, skills, title)"
    )


def test_duplicate_ids_name_both_places(tmp_path: Path) -> None:
    folder = write_rubric(
        tmp_path / "rubric",
        {
            "test_dup_a.py": """
                @check(id="same", points=1, skills=["1.2.6"], title={"zh": "一", "en": "one"})
                def test_one(lab):
                    pass
                """,
            "test_dup_b.py": """


                @check(id="same", points=1, skills=["1.2.6"], title={"zh": "二", "en": "two"})
                def test_two(lab):
                    pass
                """,
        },
    )
    first, second = folder / "test_dup_a.py", folder / "test_dup_b.py"
    message = grading_error(folder)
    assert message == (
        "the rubric is broken:\n"
        f"  {second}:{line_of(second, '@check')}: check id 'same' is already used at {first}:{line_of(first, '@check')}"
    )


def test_rubric_file_that_fails_to_import_is_named(tmp_path: Path) -> None:
    folder = write_rubric(
        tmp_path / "rubric",
        {
            "test_good.py": """
                @check(id="fine", points=1, skills=["1.2.6"], title={"zh": "好", "en": "fine"})
                def test_fine(lab):
                    pass
                """,
            "test_broken.py": "import cloudlab_no_such_module\n",
        },
    )
    message = grading_error(folder)
    assert message.startswith("the rubric is broken:\n  ")
    assert "test_broken.py" in message and "cannot be loaded" in message
    assert "test_good.py" not in message
    assert "ModuleNotFoundError: No module named 'cloudlab_no_such_module'" in message


def test_syntax_error_in_a_rubric_file_is_named(tmp_path: Path) -> None:
    folder = write_rubric(tmp_path / "rubric", {"test_syntax.py": "def test_x(lab) pass\n"})
    message = grading_error(folder)
    assert message.startswith("the rubric is broken:\n  ")
    assert "test_syntax.py" in message and "cannot be loaded" in message
    assert "SyntaxError" in message


def test_check_decorator_error_in_a_rubric_file_is_named(tmp_path: Path) -> None:
    """A bad @check argument surfaces as an import failure naming the file and the problem."""
    folder = write_rubric(
        tmp_path / "rubric",
        {
            "test_points.py": """
                @check(id="zero", points=0, skills=["1.2.6"], title={"zh": "零", "en": "zero"})
                def test_zero(lab):
                    pass
                """
        },
    )
    message = grading_error(folder)
    assert message.startswith("the rubric is broken:\n  ")
    assert "test_points.py" in message and "cannot be loaded" in message
    assert "points must be a whole number above 0, not 0" in message


@pytest.mark.parametrize("files", [{}, {"helpers.py": "X = 1\n"}, {"test_empty.py": "X = 1\n"}])
def test_rubric_without_checks(tmp_path: Path, files: dict[str, str]) -> None:
    folder = write_rubric(tmp_path / "rubric", files)
    assert grading_error(folder) == f"{folder}: the rubric has no checks"


def test_two_rubrics_with_different_file_names_in_one_process(tmp_path: Path) -> None:
    first = write_rubric(tmp_path / "one", {"test_one_a.py": simple_check("from-one")})
    second = write_rubric(tmp_path / "two", {"test_two_a.py": simple_check("from-two")})
    assert [r.id for r in run(first)] == ["from-one"]
    assert [r.id for r in run(second)] == ["from-two"]


def simple_check(check_id: str) -> str:
    return f"""
        @check(id={check_id!r}, points=1, skills=["1.2.6"], title={{"zh": "检查", "en": "check"}})
        def test_it(lab):
            pass
        """


def test_two_rubrics_with_the_same_file_name_in_one_process(tmp_path: Path) -> None:
    """Both rubrics' test_a.py become module 'test_a': the second must not reuse the first."""
    first = write_rubric(tmp_path / "one", {"test_a.py": simple_check("from-one")})
    second = write_rubric(tmp_path / "two", {"test_a.py": simple_check("from-two")})
    assert [r.id for r in run(first)] == ["from-one"]
    assert [r.id for r in run(second)] == ["from-two"]


def test_collect_only_runs_no_check(tmp_path: Path) -> None:
    """validate_rubric() collects before any host exists; the checks themselves must not run."""
    marker = tmp_path / "ran"
    folder = write_rubric(
        tmp_path / "rubric",
        {
            "test_collect.py": f"""
                from pathlib import Path

                @check(id="side-effect", points=1, skills=["1.2.6"], title={{"zh": "副作用", "en": "side effect"}})
                def test_side_effect(lab):
                    Path({str(marker)!r}).write_text("ran")
                """
        },
    )
    context = LabContext(scenario="x", containers={}, params={})
    plugin = run_rubric(folder, context, collect_only=True)
    assert [spec.id for spec, _ in plugin.collected] == ["side-effect"]
    assert not marker.exists()


# -- the @check decorator ----------------------------------------------------------------

TITLE = {"zh": "标题", "en": "title"}


@pytest.mark.parametrize("bad_id", ["", "Upper", "snake_case", "-lead", "trail-", "double--dash", "sp ace", "ü"])
def test_check_rejects_bad_ids(bad_id: str) -> None:
    with pytest.raises(ValueError, match="must be kebab-case"):
        check(id=bad_id, points=1, skills=["1.2.6"], title=TITLE)


@pytest.mark.parametrize("points", [0, -1, 1.5, "2"])
def test_check_rejects_bad_points(points: Any) -> None:
    with pytest.raises(ValueError, match="points must be a whole number above 0"):
        check(id="c", points=points, skills=["1.2.6"], title=TITLE)


@pytest.mark.parametrize("skills", [[], ["2.2"], ["2.2.3", "x"], "2.2.3", ["2.2.3.1"]])
def test_check_rejects_bad_skill_codes(skills: Any) -> None:
    with pytest.raises(ValueError, match=r"skills must be codes like '2\.2\.3'"):
        check(id="c", points=1, skills=skills, title=TITLE)


@pytest.mark.parametrize(
    "title",
    [{"zh": "只有中文"}, {"en": "english only"}, {"zh": "", "en": "empty zh"}, {"zh": "多", "en": "extra", "fr": "x"}],
)
def test_check_rejects_messages_missing_a_language(title: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="exactly the keys 'zh' and 'en'"):
        check(id="c", points=1, skills=["1.2.6"], title=title)
    with pytest.raises(ValueError, match="exactly the keys 'zh' and 'en'"):
        check(id="c", points=1, skills=["1.2.6"], title=TITLE, hint=title)


def test_check_attaches_its_spec() -> None:
    @check(id="web-up", points=2, skills=("1.2.4",), title=Text("网站", "site"), wait=5, partial=True)
    def probe() -> None:
        pass

    spec = probe.cloudlab_check  # type: ignore[attr-defined]
    assert (spec.id, spec.points, spec.skills, spec.wait, spec.partial, spec.hidden) == (
        "web-up",
        2,
        ("1.2.4",),
        5.0,
        True,
        False,
    )
    assert spec.title == Text("网站", "site")
