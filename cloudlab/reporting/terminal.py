"""The terminal report: one PASS/FAIL line per check, then the total (Red Hat ``lab grade`` shape)."""

from __future__ import annotations

import unicodedata

from cloudlab.grading.score import Score
from cloudlab.reporting.modes import check_hint, check_message, hidden_total, visible_checks

LABELS = {
    "zh": {
        "pass": "通过", "fail": "未通过", "error": "出错", "score": "得分", "mark": "及格线", "result": "结果",
        "hint": "提示", "hidden": "隐藏检查", "saw": "执行",
    },
    "en": {
        "pass": "PASS", "fail": "FAIL", "error": "ERROR", "score": "Score", "mark": "pass mark", "result": "Result",
        "hint": "hint", "hidden": "hidden checks", "saw": "ran",
    },
}  # fmt: skip
OUTPUT_LINES = 6


def display_width(text: str) -> int:
    """Columns a terminal gives ``text``: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def render_score(score: Score, lang: str, mode: str = "practice") -> str:
    labels = LABELS[lang]
    width = max(display_width(labels[k]) for k in ("pass", "fail", "error"))
    lines = [f"{score.scenario} / {score.lab}"]
    for check in visible_checks(score, mode):
        status = pad(labels[check.outcome], width)
        points = f"{check.earned}/{check.points}"
        lines.append(f"  {status}  {points:>5}  {check_message(check, lang, mode)}")
        hint = check_hint(check, lang, mode)
        if hint:
            lines.append(f"  {'':{width}}  {'':>5}  {labels['hint']}: {hint}")
        if mode == "instructor":
            lines += observation_lines(check.observations, labels["saw"])
    hidden = hidden_total(score, mode)
    if hidden is not None:
        lines.append(f"  {labels['hidden']}: {hidden.passed}/{hidden.checks}, {hidden.earned}/{hidden.points}")
    verdict = labels["pass"] if score.passed else labels["fail"]
    lines.append(
        f"{labels['score']}: {score.score}/{score.max} ({score.percent:g}%)   "
        f"{labels['mark']}: {score.pass_mark}%   {labels['result']}: {verdict}"
    )
    return "\n".join(lines)


def observation_lines(observations: tuple, ran: str) -> list[str]:  # type: ignore[type-arg]
    lines = []
    for seen in observations:
        lines.append(f"        {ran} [{seen.host}] {seen.command}  → rc {seen.rc}")
        output = (seen.stdout + seen.stderr).strip().splitlines()
        lines += [f"          | {line[:160]}" for line in output[:OUTPUT_LINES]]
        if len(output) > OUTPUT_LINES:
            lines.append(f"          | … {len(output) - OUTPUT_LINES} more lines")
    return lines
