"""What each grading mode shows.

- ``practice``: every check with its reason, and the hint of each failed check;
- ``exam``: hidden checks only as a total; terse lines (title only, no reasons or hints);
- ``instructor``: everything, plus the commands each check ran and what they printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudlab.grading.score import PASS, CheckResult, Score

MODES = ("practice", "exam", "instructor")


@dataclass(frozen=True)
class HiddenTotal:
    checks: int
    passed: int
    earned: int
    points: int


def visible_checks(score: Score, mode: str) -> list[CheckResult]:
    return [check for check in score.checks if not (mode == "exam" and check.hidden)]


def hidden_total(score: Score, mode: str) -> HiddenTotal | None:
    hidden = [check for check in score.checks if check.hidden]
    if mode != "exam" or not hidden:
        return None
    return HiddenTotal(
        checks=len(hidden),
        passed=sum(1 for check in hidden if check.outcome == PASS),
        earned=sum(check.earned for check in hidden),
        points=sum(check.points for check in hidden),
    )


def check_message(check: CheckResult, lang: str, mode: str) -> str:
    return check.title.get(lang) if mode == "exam" else check.message(lang)


def check_hint(check: CheckResult, lang: str, mode: str) -> str | None:
    if mode == "exam" or check.outcome == PASS or check.hint is None:
        return None
    return check.hint.get(lang)
