"""Turn ansible-runner events into progress and failures; pure functions, tested without Ansible."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudlab.runner.result import FailedTask, HostStats

MAX_MESSAGE = 600


@dataclass
class Progress:
    """What a person watching the run wants to see: where it is and how it is going."""

    play: str = ""
    task: str = ""
    host: str = ""
    ok: int = 0
    changed: int = 0
    failed: int = 0
    failures: list[FailedTask] = field(default_factory=list)
    stats: dict[str, HostStats] = field(default_factory=dict)

    def line(self) -> str:
        where = f"{self.task} [{self.host}]" if self.host else self.task
        return f"ok={self.ok} changed={self.changed} failed={self.failed}  {where}".rstrip()


GENERIC_MESSAGES = frozenset({"non-zero return code", "One or more items failed"})


def failure_message(result: dict[str, Any]) -> str:
    """The most useful sentence from a failed task's result."""
    for item in result.get("results") or ():  # a loop: the first failed item says why
        if isinstance(item, dict) and item.get("failed"):
            label = item.get(str(item.get("ansible_loop_var", "item")))
            reason = failure_message(item)
            return f"{label}: {reason}" if isinstance(label, str | int) and str(label) not in reason else reason
    parts = []
    for key in ("msg", "reason", "stderr", "stdout"):
        value = result.get(key)
        if isinstance(value, str) and value.strip():
            if key in ("msg", "reason") and value.strip() in GENERIC_MESSAGES:
                continue  # command/shell: the real reason is in stderr
            parts.append(value.strip())
            if key in ("msg", "reason"):
                break
    text = " | ".join(parts) or "no message"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def apply_event(progress: Progress, event: dict[str, Any]) -> bool:
    """Update ``progress`` from one event; return True when the display should change."""
    kind = event.get("event", "")
    data = event.get("event_data") or {}
    if kind == "playbook_on_play_start":
        progress.play = str(data.get("play", ""))
        return True
    if kind == "playbook_on_task_start":
        progress.task = str(data.get("task", ""))
        progress.host = ""
        return True
    if kind == "runner_on_start":
        progress.host = str(data.get("host", ""))
        return True
    if kind == "runner_on_ok":
        progress.ok += 1
        progress.changed += 1 if (data.get("res") or {}).get("changed") else 0
        return True
    if kind in ("runner_on_failed", "runner_on_unreachable"):
        if kind == "runner_on_failed" and data.get("ignore_errors"):
            return False
        progress.failed += 1
        progress.failures.append(
            FailedTask(
                host=str(data.get("host", "?")),
                task=str(data.get("task", "?")),
                message=failure_message(data.get("res") or {}),
                unreachable=kind == "runner_on_unreachable",
            )
        )
        return True
    if kind == "playbook_on_stats":
        progress.stats = stats_from_event(data)
        return True
    return False


def stats_from_event(data: dict[str, Any]) -> dict[str, HostStats]:
    hosts: set[str] = set()
    for key in ("ok", "changed", "failures", "dark", "skipped"):
        hosts.update((data.get(key) or {}).keys())
    return {
        host: HostStats(
            ok=(data.get("ok") or {}).get(host, 0),
            changed=(data.get("changed") or {}).get(host, 0),
            failed=(data.get("failures") or {}).get(host, 0),
            unreachable=(data.get("dark") or {}).get(host, 0),
            skipped=(data.get("skipped") or {}).get(host, 0),
        )
        for host in sorted(hosts)
    }
