"""A graded lab: per-check results and the arithmetic of the total."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudlab.grading.api import Text
from cloudlab.grading.context import Observation

PASS, FAIL, ERROR = "pass", "fail", "error"


@dataclass(frozen=True)
class CheckResult:
    id: str
    points: int
    earned: int
    outcome: str
    title: Text
    skills: tuple[str, ...]
    reason: Text | None = None
    seconds: float = 0.0
    hint: Text | None = None
    hidden: bool = False
    started_at: str = ""
    observations: tuple[Observation, ...] = ()

    def message(self, lang: str) -> str:
        """The line the candidate reads: the title, and why it failed when it did."""
        if self.reason is None:
            return self.title.get(lang)
        separator = "：" if lang == "zh" else ": "
        return f"{self.title.get(lang)}{separator}{self.reason.get(lang)}"


@dataclass(frozen=True)
class Score:
    lab: str
    scenario: str
    pass_mark: int
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    level: str = ""

    @property
    def score(self) -> int:
        return sum(check.earned for check in self.checks)

    @property
    def max(self) -> int:
        return sum(check.points for check in self.checks)

    @property
    def percent(self) -> float:
        """Rounded to one decimal; a rubric with no points scores 0, never divides by zero."""
        return round(100.0 * self.score / self.max, 1) if self.max else 0.0

    @property
    def passed(self) -> bool:
        # Compare exactly, not the rounded figure: 69.96 % must not pass a 70 % mark.
        return self.max > 0 and self.score * 100 >= self.pass_mark * self.max

    def passed_ids(self) -> set[str]:
        return {check.id for check in self.checks if check.outcome == PASS}

    def to_json(self, lang: str) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "scenario": self.scenario,
            "level": self.level,
            "score": self.score,
            "max": self.max,
            "percent": self.percent,
            "pass_mark": self.pass_mark,
            "passed": self.passed,
            "checks": [
                {
                    "id": check.id,
                    "points": check.points,
                    "earned": check.earned,
                    "outcome": check.outcome,
                    "message": check.message(lang),
                    "skills": list(check.skills),
                }
                for check in self.checks
            ],
        }
