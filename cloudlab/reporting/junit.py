"""JUnit XML for CI systems and LMSs: one testcase per check, points in properties."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from cloudlab.grading.score import ERROR, FAIL, Score
from cloudlab.reporting.modes import check_message, visible_checks
from cloudlab.state import atomic_write_text


def junit_xml(score: Score, lang: str, mode: str = "practice") -> str:
    checks = visible_checks(score, mode)
    suite = ET.Element(
        "testsuite",
        name=f"cloudlab.{score.scenario}",
        tests=str(len(checks)),
        failures=str(sum(1 for c in checks if c.outcome == FAIL)),
        errors=str(sum(1 for c in checks if c.outcome == ERROR)),
        time=f"{sum(c.seconds for c in checks):.2f}",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("lab", score.lab), ("score", score.score), ("max", score.max), ("percent", score.percent),
        ("pass_mark", score.pass_mark), ("passed", str(score.passed).lower()),
    ):  # fmt: skip
        ET.SubElement(properties, "property", name=name, value=str(value))
    for check in checks:
        case = ET.SubElement(
            suite, "testcase", classname=f"{score.scenario}.{score.lab}", name=check.id, time=f"{check.seconds:.2f}"
        )
        case_properties = ET.SubElement(case, "properties")
        ET.SubElement(case_properties, "property", name="points", value=str(check.points))
        ET.SubElement(case_properties, "property", name="earned", value=str(check.earned))
        ET.SubElement(case_properties, "property", name="skills", value=",".join(check.skills))
        if check.outcome in (FAIL, ERROR):
            tag = "failure" if check.outcome == FAIL else "error"
            ET.SubElement(case, tag, message=check_message(check, lang, mode)).text = check_message(check, lang, mode)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def write_junit(path: Path, score: Score, lang: str, mode: str = "practice") -> None:
    atomic_write_text(path, junit_xml(score, lang, mode))
