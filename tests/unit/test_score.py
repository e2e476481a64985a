"""Score arithmetic, its JSON shape, and the terminal report (golden files)."""

from __future__ import annotations

import difflib
import unicodedata
from pathlib import Path

import pytest

from cloudlab.grading.api import Text
from cloudlab.grading.score import ERROR, FAIL, PASS, CheckResult, Score
from cloudlab.reporting.terminal import render_score

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "report"


def result(
    check_id: str = "c",
    points: int = 1,
    earned: int | None = None,
    outcome: str | None = None,
    reason: Text | None = None,
    hint: Text | None = None,
    skills: tuple[str, ...] = ("1.2.6",),
) -> CheckResult:
    earned = points if earned is None else earned
    outcome = outcome or (PASS if earned == points else FAIL)
    title = Text(zh=f"检查 {check_id}", en=f"check {check_id}")
    return CheckResult(check_id, points, earned, outcome, title, skills, reason, 0.5, hint=hint)


def score_of(*checks: CheckResult, pass_mark: int = 70) -> Score:
    return Score(lab="seat-01", scenario="demo", pass_mark=pass_mark, checks=checks)


def test_sum_and_max() -> None:
    score = score_of(result("a", 2), result("b", 3, 0), result("c", 5, 2, FAIL))
    assert (score.score, score.max) == (4, 10)
    assert score.percent == 40.0


@pytest.mark.parametrize(
    ("earned", "points", "percent"),
    [(2, 3, 66.7), (1, 3, 33.3), (1, 8, 12.5), (3, 3, 100.0), (0, 7, 0.0), (1, 6, 16.7), (6999, 10000, 70.0)],
)
def test_percent_is_rounded_to_one_decimal(earned: int, points: int, percent: float) -> None:
    assert score_of(result("a", points, earned)).percent == percent


def test_zero_point_rubric() -> None:
    """No checks at all: 0 %, not passed, and no ZeroDivisionError on the way."""
    score = score_of()
    assert (score.score, score.max, score.percent, score.passed) == (0, 0, 0.0, False)
    assert score.to_json("en")["checks"] == []


@pytest.mark.parametrize(
    ("earned", "points", "pass_mark", "passed"),
    [
        (7, 10, 70, True),  # exactly on the mark passes
        (699, 1000, 70, False),  # 69.9 %
        (6999, 10000, 70, False),  # rounds to 70.0 % but is below the mark
        (7000, 10000, 70, True),
        (2, 3, 67, False),  # 66.67 %: shown as 66.7, still below 67
        (2, 3, 66, True),
        (10, 10, 100, True),
        (9, 10, 100, False),
        (1, 100, 1, True),
        (0, 100, 1, False),
    ],
)
def test_pass_mark_boundary_is_exact(earned: int, points: int, pass_mark: int, passed: bool) -> None:
    """The verdict compares exact fractions; the rounded percent is only for display."""
    assert score_of(result("a", points, earned), pass_mark=pass_mark).passed is passed


def test_rounded_percent_can_equal_the_mark_without_passing() -> None:
    """The case a float comparison would get wrong: the report shows 70 %, the verdict is fail."""
    score = score_of(result("a", 10000, 6999), pass_mark=70)
    assert score.percent == 70.0
    assert not score.passed


def test_partial_credit_counts_towards_the_total() -> None:
    score = score_of(result("a", 4), result("b", 4, 1, FAIL), result("c", 2, 0), pass_mark=60)
    assert (score.score, score.max, score.percent, score.passed) == (5, 10, 50.0, False)
    assert score.passed_ids() == {"a"}


def test_to_json_shape() -> None:
    """Other tools read this JSON: key names, order and types are a contract."""
    reason = Text(zh="两次请求都由 web1 应答", en="both requests were answered by web1")
    score = score_of(result("lb-answers", 2), result("lb-round-robin", 4, 0, reason=reason, skills=("1.2.6", "2.2.3")))
    data = score.to_json("en")
    assert list(data) == ["lab", "scenario", "level", "score", "max", "percent", "pass_mark", "passed", "checks"]
    assert data == {
        "lab": "seat-01",
        "scenario": "demo",
        "level": "",
        "score": 2,
        "max": 6,
        "percent": 33.3,
        "pass_mark": 70,
        "passed": False,
        "checks": [
            {
                "id": "lb-answers",
                "points": 2,
                "earned": 2,
                "outcome": "pass",
                "message": "check lb-answers",
                "skills": ["1.2.6"],
            },
            {
                "id": "lb-round-robin",
                "points": 4,
                "earned": 0,
                "outcome": "fail",
                "message": "check lb-round-robin: both requests were answered by web1",
                "skills": ["1.2.6", "2.2.3"],
            },
        ],
    }
    assert [list(check) for check in data["checks"]] == [["id", "points", "earned", "outcome", "message", "skills"]] * 2
    assert score.to_json("zh")["checks"][1]["message"] == "检查 lb-round-robin：两次请求都由 web1 应答"


def test_message_separator_per_language() -> None:
    """Chinese text takes a full-width colon; a passed check shows just its title."""
    failed = result("a", 1, 0, reason=Text(zh="端口未监听", en="port is not listening"))
    assert failed.message("zh") == "检查 a：端口未监听"
    assert failed.message("en") == "check a: port is not listening"
    assert result("b").message("zh") == "检查 b"
    assert result("b").message("en") == "check b"


# -- terminal report -------------------------------------------------------------------


def report_score() -> Score:
    return Score(
        lab="seat-03",
        scenario="lb-haproxy",
        pass_mark=60,
        checks=(
            CheckResult(
                "haproxy-running", 2, 2, PASS, Text("HAProxy 正在运行", "HAProxy is running"), ("1.2.6",), seconds=0.3
            ),
            CheckResult(
                "lb-round-robin",
                4,
                0,
                FAIL,
                Text("请求轮询分发到 web1 和 web2", "requests alternate between web1 and web2"),
                ("1.2.6", "2.2.3"),
                Text("6 次请求都由 web1 应答", "all 6 requests were answered by web1"),
                1.2,
                hint=Text("检查 backend 中的 server 行", "check the server lines of the backend"),
            ),
            CheckResult(
                "stats-requires-auth",
                3,
                1,
                FAIL,
                Text("统计页面需要认证", "the stats page requires authentication"),
                ("2.2.3",),
                Text("部分完成", "partly done"),
            ),
            CheckResult(
                "lb-failover",
                3,
                0,
                ERROR,
                Text("后端故障时自动切换", "fails over when a backend stops"),
                ("2.2.3",),
                Text("检查时出现意外结果（KeyError: 'web3'）", "unexpected result while checking (KeyError: 'web3')"),
            ),
            CheckResult("haproxy-enabled", 2, 2, PASS, Text("HAProxy 开机自启", "HAProxy starts at boot"), ("1.2.6",)),
        ),
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_render_score_golden(lang: str) -> None:
    """The Red Hat ``lab grade`` style report a candidate reads after each self-check."""
    golden = GOLDEN / f"score.{lang}.txt"
    expected = golden.read_text(encoding="utf-8").removesuffix("\n")
    actual = render_score(report_score(), lang)
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=str(golden.relative_to(GOLDEN.parents[1])),
            tofile="render_score()",
        )
    )
    assert actual == expected, f"the {lang} report changed:\n{diff}"


def test_render_score_verdict_line() -> None:
    """The last line carries total, percent (no trailing .0) and the pass mark."""
    passed = Score(lab="l", scenario="s", pass_mark=50, checks=(result("a", 2), result("b", 2, 0, FAIL)))
    assert render_score(passed, "en").splitlines()[-1] == "Score: 2/4 (50%)   pass mark: 50%   Result: PASS"
    assert render_score(passed, "zh").splitlines()[-1] == "得分: 2/4 (50%)   及格线: 50%   结果: 通过"


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_zh_report_columns_line_up() -> None:
    lines = render_score(report_score(), "zh").splitlines()[1:-1]
    check_lines = [line for line in lines if "/" in line.split()[1]]
    starts = {display_width(line[: line.index("/") - 1]) for line in check_lines}
    assert len(starts) == 1, check_lines
