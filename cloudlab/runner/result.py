"""The frozen outcome of one Ansible run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FailedTask:
    host: str
    task: str
    message: str
    unreachable: bool = False

    def describe(self) -> str:
        kind = "unreachable" if self.unreachable else "failed"
        return f"{self.host}: task '{self.task}' {kind}: {self.message}"


@dataclass(frozen=True)
class HostStats:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class PlayResult:
    playbook: str
    status: str
    rc: int
    seconds: float
    stats: dict[str, HostStats] = field(default_factory=dict)
    failures: tuple[FailedTask, ...] = ()
    artifact_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == "successful" and self.rc == 0

    @property
    def changed(self) -> int:
        return sum(host.changed for host in self.stats.values())
