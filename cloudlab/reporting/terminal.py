"""The terminal report: one PASS/FAIL line per check, then the total (Red Hat ``lab grade`` shape)."""

from __future__ import annotations

from cloudlab.grading.score import PASS, Score

LABELS = {
    "zh": {"pass": "通过", "fail": "未通过", "error": "出错", "score": "得分", "mark": "及格线", "result": "结果"},
    "en": {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "score": "Score", "mark": "pass mark", "result": "Result"},
}


def render_score(score: Score, lang: str) -> str:
    labels = LABELS[lang]
    width = max(len(labels[k]) for k in ("pass", "fail", "error"))
    lines = [f"{score.scenario} / {score.lab}"]
    for check in score.checks:
        status = labels[check.outcome].ljust(width)
        points = f"{check.earned}/{check.points}"
        lines.append(f"  {status}  {points:>5}  {check.message(lang)}")
    verdict = labels["pass"] if score.passed else labels["fail"]
    lines.append(
        f"{labels['score']}: {score.score}/{score.max} ({score.percent:g}%)   "
        f"{labels['mark']}: {score.pass_mark}%   {labels['result']}: {verdict}"
    )
    return "\n".join(lines)


def passed_count(score: Score) -> int:
    return sum(1 for check in score.checks if check.outcome == PASS)
