"""What every provider offers: create, describe, snapshot, restore and destroy a lab's hosts.

A provider never runs playbooks or grading; it returns where the hosts are so the runner and
the grader can reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from cloudlab.scenarios.models import Scenario


@dataclass(frozen=True)
class ProvisionedHost:
    name: str
    container: str
    address: str
    addresses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Provisioned:
    hosts: list[ProvisionedHost]
    networks: dict[str, str]


@dataclass(frozen=True)
class HostStatus:
    name: str
    container: str
    state: str


class Provider(Protocol):
    def create(self, lab: str, scenario: Scenario, image: str) -> Provisioned: ...

    def describe(self, lab: str) -> list[HostStatus]: ...

    def snapshot(self, lab: str, stage: str = "setup") -> None: ...

    def has_snapshot(self, lab: str, stage: str = "setup") -> bool: ...

    def restore(self, lab: str, scenario: Scenario, provisioned: Provisioned, stage: str = "setup") -> None: ...

    def stop_host(self, container: str) -> None: ...

    def start_host(self, container: str) -> None: ...

    def restart_host(self, container: str) -> None: ...

    def destroy(self, lab: str) -> list[str]: ...

    def shell_argv(self, container: str) -> list[str]: ...
