"""The ``lab`` fixture a rubric receives: the lab's hosts as testinfra hosts, and its params."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import testinfra
from testinfra.host import Host


@dataclass
class LabContext:
    """One lab as a rubric sees it.

    ``containers`` maps each lab host name (``lb1``) to the Docker container that runs it.
    Checks reach hosts through ``host(name)``; commands run inside the lab, so traffic a check
    sends (curl from the client to the load balancer) stays on the lab's own network.
    """

    scenario: str
    containers: dict[str, str]
    params: dict[str, Any]
    _hosts: dict[str, Host] = field(default_factory=dict, repr=False)

    def host(self, name: str) -> Host:
        """The testinfra host for lab host ``name`` (``docker://`` backend: fast, no ssh)."""
        if name not in self.containers:
            known = ", ".join(sorted(self.containers))
            raise KeyError(f"the rubric asked for host {name!r}; this lab has {known}")
        if name not in self._hosts:
            self._hosts[name] = testinfra.get_host(f"docker://root@{self.containers[name]}")
        return self._hosts[name]
