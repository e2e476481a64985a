"""The ``lab`` fixture a rubric receives: the lab's hosts as testinfra hosts, and its params.

Every command a check runs on a host is recorded as an ``Observation``: the instructor mode
shows them and the signed evidence bundle keeps them, so a grade can be explained later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from testinfra.backend import get_backend
from testinfra.host import Host

MAX_OUTPUT = 4000


@dataclass(frozen=True)
class Observation:
    host: str
    command: str
    rc: int
    stdout: str
    stderr: str
    at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "command": self.command,
            "rc": self.rc,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "at": self.at,
        }


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT else text[:MAX_OUTPUT] + f"… ({len(text) - MAX_OUTPUT} more characters)"


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
    observations: list[Observation] = field(default_factory=list, repr=False)
    _hosts: dict[str, Host] = field(default_factory=dict, repr=False)

    def host(self, name: str) -> Host:
        """The testinfra host for lab host ``name`` (``docker://`` backend: fast, no ssh)."""
        if name not in self.containers:
            known = ", ".join(sorted(self.containers))
            raise KeyError(f"the rubric asked for host {name!r}; this lab has {known}")
        if name not in self._hosts:
            # A private Host (not testinfra.get_host's process-wide cache) so recording stays per lab.
            host = Host(get_backend(f"docker://root@{self.containers[name]}"))
            self._record_commands(name, host)
            self._hosts[name] = host
        return self._hosts[name]

    def _record_commands(self, name: str, host: Host) -> None:
        backend = host.backend
        run = backend.run

        def recording_run(command: str, *args: str, **kwargs: Any) -> Any:
            result = run(command, *args, **kwargs)
            self.observations.append(
                Observation(
                    host=name,
                    command=_text(getattr(result, "command", command)),
                    rc=int(result.rc),
                    stdout=_clip(result.stdout),
                    stderr=_clip(result.stderr),
                    at=datetime.now(UTC).isoformat(timespec="milliseconds"),
                )
            )
            return result

        backend.run = recording_run

    def take_observations(self) -> tuple[Observation, ...]:
        """The commands recorded since the last call (one check's worth)."""
        taken = tuple(self.observations)
        self.observations.clear()
        return taken
