"""The selftest's comparison: exactly the declared checks must fail, and the report says which differ."""

from __future__ import annotations

from cloudlab.grading.api import Text
from cloudlab.grading.score import CheckResult, Score
from cloudlab.selftest import compare_failing, describe


def score(failing: set[str], ids: tuple[str, ...] = ("a", "b", "c", "d")) -> Score:
    checks = tuple(
        CheckResult(i, 1, 0 if i in failing else 1, "fail" if i in failing else "pass", Text("x", "x"), ("2.2.3",))
        for i in ids
    )
    return Score(lab="l", scenario="s", pass_mark=50, checks=checks)


def test_exact_match() -> None:
    assert compare_failing(score({"a", "b"}), {"a", "b"}) == (True, "fail: a, b")


def test_extra_and_missing_failures_are_named() -> None:
    ok, text = compare_failing(score({"a", "c"}), {"a", "b"})
    assert not ok and text == "also failed: c; did not fail: b"


def test_errors_count_as_failures() -> None:
    errored = Score("l", "s", 50, (CheckResult("a", 1, 0, "error", Text("x", "x"), ("2.2.3",)),))
    assert compare_failing(errored, {"a"})[0]


def test_describe_keeps_rows_short() -> None:
    assert describe(set(), "fail") == "fail: none"
    assert describe({"b", "a", "c", "d"}, "fail") == "fail 4: a, b, …"
