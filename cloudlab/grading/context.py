"""The ``lab`` fixture a rubric receives: the lab's hosts as testinfra hosts, and its params.

Every command a check runs on a host is recorded as an ``Observation``: the instructor mode
shows them and the signed evidence bundle keeps them, so a grade can be explained later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

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


class HostControls(Protocol):
    """Container power controls a rubric may use (failover, "survives a restart")."""

    def stop_host(self, container: str) -> None: ...

    def start_host(self, container: str) -> None: ...

    def restart_host(self, container: str) -> None: ...


LEVEL_NAMES = ("初级", "中级", "高级")


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
    level: str = ""  # empty: every level's checks (validation)
    addresses: dict[str, dict[str, str]] = field(default_factory=dict)  # host -> network -> address
    subnets: dict[str, str] = field(default_factory=dict)  # network -> CIDR
    controls: HostControls | None = field(default=None, repr=False)
    observations: list[Observation] = field(default_factory=list, repr=False)
    _hosts: dict[str, Host] = field(default_factory=dict, repr=False)

    @property
    def level_rank(self) -> int:
        """初级 1, 中级 2, 高级 3 (3 when no level is set: every check applies)."""
        return LEVEL_NAMES.index(self.level) + 1 if self.level else len(LEVEL_NAMES)

    def address(self, host: str, network: str | None = None) -> str:
        """The lab address of ``host`` on ``network`` (its first network when not given)."""
        networks = self.addresses.get(host)
        if not networks:
            raise KeyError(f"the rubric asked for the address of host {host!r}; known hosts: {sorted(self.addresses)}")
        if network is None:
            return next(iter(networks.values()))
        if network not in networks:
            raise KeyError(f"host {host!r} is not on network {network!r}; it is on {', '.join(networks)}")
        return networks[network]

    def subnet(self, network: str) -> str:
        """The CIDR of lab network ``network`` (``10.213.4.0/24``)."""
        if network not in self.subnets:
            raise KeyError(f"the rubric asked for network {network!r}; this lab has {', '.join(self.subnets)}")
        return self.subnets[network]

    def stop(self, host: str) -> None:
        """Stop the container of ``host`` (as if it lost power; systemd shuts down cleanly)."""
        self._control(host, "stop")

    def start(self, host: str) -> None:
        """Start ``host`` again and wait until systemd finished booting."""
        self._control(host, "start")

    def restart(self, host: str) -> None:
        """Restart ``host`` and wait until systemd finished booting: proves settings persist."""
        self._control(host, "restart")

    def _control(self, host: str, action: str) -> None:
        if self.controls is None:
            raise RuntimeError(f"this grading run cannot {action} hosts (no container controls)")
        if host not in self.containers:
            raise KeyError(
                f"the rubric asked to {action} host {host!r}; this lab has {', '.join(sorted(self.containers))}"
            )
        started = datetime.now(UTC).isoformat(timespec="milliseconds")
        getattr(self.controls, f"{action}_host")(self.containers[host])
        self._hosts.pop(host, None)  # a fresh connection after the restart
        self.observations.append(Observation(host, f"docker {action} {self.containers[host]}", 0, "", "", started))

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
