"""Levels (初级/中级/高级) of one scenario, and the lab facts every playbook receives.

A scenario offering several levels is one folder: higher levels add checks (``@check(level=)``),
faults (``level:``) and tasks (playbooks branch on ``cloudlab_level_rank``), never copies.
"""

from __future__ import annotations

from typing import Any

from cloudlab.errors import LabError
from cloudlab.scenarios.loader import LoadedScenario
from cloudlab.scenarios.models import LEVELS, level_rank
from cloudlab.state import LabRecord

ALIASES = {
    "1": "初级", "basic": "初级", "junior": "初级", "初级": "初级",
    "2": "中级", "intermediate": "中级", "中级": "中级",
    "3": "高级", "advanced": "高级", "senior": "高级", "高级": "高级",
}  # fmt: skip


def resolve_level(scenario: LoadedScenario, requested: str | None) -> str:
    """The level a new lab runs at: as asked (zh name, English name or 1–3), else the scenario's default."""
    offered = scenario.model.offered_levels()
    if requested is None:
        return offered[0]
    level = ALIASES.get(requested.strip().lower())
    if level is None:
        raise LabError(f"--level {requested!r} is not a level; use one of {', '.join(LEVELS)} (or 1, 2, 3)")
    if level not in offered:
        raise LabError(
            f"scenario {scenario.id!r} offers level(s) {', '.join(offered)}, not {level}; choose one with --level"
        )
    return level


def lab_level(record: LabRecord, scenario: LoadedScenario) -> str:
    return record.level or scenario.model.level


def lab_facts(record: LabRecord, scenario: LoadedScenario) -> dict[str, Any]:
    """Extra variables of every playbook run: the lab's name, level, addresses and subnets."""
    level = lab_level(record, scenario)
    return {
        "cloudlab_lab": record.lab,
        "cloudlab_level": level,
        "cloudlab_level_rank": level_rank(level),
        "cloudlab_hosts": {host.name: dict(host.addresses) for host in record.hosts},
        "cloudlab_subnets": dict(record.networks),
    }
