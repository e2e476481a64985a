"""The ``grade --json`` object, shaped by the grading mode."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from cloudlab.grading.score import Score
from cloudlab.reporting.modes import check_hint, check_message, hidden_total, visible_checks


def score_json(score: Score, lang: str, mode: str = "practice") -> dict[str, Any]:
    data = score.to_json(lang)
    checks = []
    for check in visible_checks(score, mode):
        item: dict[str, Any] = {
            "id": check.id,
            "points": check.points,
            "earned": check.earned,
            "outcome": check.outcome,
            "message": check_message(check, lang, mode),
            "skills": list(check.skills),
        }
        hint = check_hint(check, lang, mode)
        if hint:
            item["hint"] = hint
        if mode == "instructor":
            item["observations"] = [seen.to_json() for seen in check.observations]
        checks.append(item)
    data["checks"] = checks
    data["mode"] = mode
    hidden = hidden_total(score, mode)
    if hidden is not None:
        data["hidden"] = asdict(hidden)
    return data
