"""The docker provider: one systemd container per lab host, one Docker network per lab network.

Every object carries the label ``cloudlab.lab=<lab>``, so ``describe`` and ``destroy`` find
them from Docker itself, even when the lab's record on disk is gone or was never finished.
"""

from __future__ import annotations

import ipaddress
import subprocess
import time
from functools import cached_property
from importlib import resources
from typing import Any

import docker
import docker.errors
import yaml

from cloudlab.errors import DockerUnavailableError, LabError
from cloudlab.providers.base import HostStatus, Provisioned, ProvisionedHost
from cloudlab.scenarios.models import HostSpec, Scenario

LAB_LABEL = "cloudlab.lab"
SNAPSHOT_REPOSITORY = "cloudlab-snapshot"


def provider_defaults() -> dict[str, Any]:
    text = (resources.files(__package__) / "docker_defaults.yml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def connect() -> docker.DockerClient:
    """A client for the local engine, or a clear error naming the fix."""
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as error:
        raise DockerUnavailableError(
            f"cannot reach the Docker engine ({error.__class__.__name__}); run 'cloudlab doctor' for how to fix it"
        ) from None
    return client


def container_name(lab: str, host: str) -> str:
    return f"cl-{lab}-{host}"


def network_name(lab: str, network: str) -> str:
    return f"cl-{lab}-{network}"


def routes_in_use() -> list[ipaddress.IPv4Network]:
    """Networks this machine already routes to; a lab subnet must not overlap them."""
    result = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True, check=False)
    networks = []
    for line in result.stdout.splitlines():
        destination = line.split()[0] if line.split() else ""
        if destination and destination != "default":
            try:
                networks.append(ipaddress.IPv4Network(destination, strict=False))
            except ValueError:
                continue
    return networks


class DockerProvider:
    """Creates and removes lab hosts on the local Docker engine."""

    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self._client = client
        self.defaults = provider_defaults()

    @cached_property
    def client(self) -> docker.DockerClient:
        return self._client or connect()

    # -- networks -----------------------------------------------------------------------
    def _subnets_in_use(self) -> list[ipaddress.IPv4Network]:
        used = routes_in_use()
        for network in self.client.networks.list():
            for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
                subnet = config.get("Subnet", "")
                if subnet and ":" not in subnet:
                    used.append(ipaddress.IPv4Network(subnet, strict=False))
        return used

    def _create_network(self, lab: str, name: str, internal: bool) -> ipaddress.IPv4Network:
        pool = ipaddress.IPv4Network(self.defaults["subnet_pool"])
        for candidate in pool.subnets(new_prefix=int(self.defaults["subnet_prefix"])):
            if any(candidate.overlaps(used) for used in self._subnets_in_use()):
                continue
            ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(candidate))])
            try:
                self.client.networks.create(
                    network_name(lab, name),
                    driver="bridge",
                    ipam=ipam,
                    internal=internal,
                    labels={LAB_LABEL: lab, "cloudlab.network": name},
                )
            except docker.errors.APIError as error:
                if "overlap" in str(error).lower():  # another lab took it a moment ago
                    continue
                raise
            return candidate
        raise LabError(
            f"no free /{self.defaults['subnet_prefix']} left in {pool} for lab {lab!r}; remove old labs with 'cloudlab down'"
        )

    # -- hosts --------------------------------------------------------------------------
    def _plan(self, scenario: Scenario, subnets: dict[str, ipaddress.IPv4Network], lab: str) -> list[ProvisionedHost]:
        offset = int(self.defaults["first_host_offset"])
        planned = []
        for index, host in enumerate(scenario.hosts):
            addresses = {net: str(subnets[net].network_address + offset + index) for net in host.networks}
            planned.append(
                ProvisionedHost(host.name, container_name(lab, host.name), addresses[host.networks[0]], addresses)
            )
        return planned

    @staticmethod
    def _etc_hosts(me: ProvisionedHost, everyone: list[ProvisionedHost]) -> dict[str, str]:
        entries = {}
        for other in everyone:
            if other.name == me.name:
                continue
            shared = [net for net in me.addresses if net in other.addresses]
            entries[other.name] = other.addresses[shared[0]] if shared else other.address
        return entries

    def _create_container(
        self, lab: str, spec: HostSpec, planned: ProvisionedHost, everyone: list[ProvisionedHost], image: str
    ) -> None:
        api = self.client.api
        d = self.defaults
        host_config = api.create_host_config(
            cap_add=d["capabilities"],
            security_opt=d["security_opt"],
            cgroupns=d["cgroupns"],
            binds={source: dict(bind) for source, bind in d["volumes"].items()},
            tmpfs=dict(d["tmpfs"]),
            devices=[d["devices"][device] for device in spec.devices],
            extra_hosts=self._etc_hosts(planned, everyone),
            privileged=False,
        )
        first = spec.networks[0]
        networking = api.create_networking_config(
            {
                network_name(lab, first): api.create_endpoint_config(
                    ipv4_address=planned.addresses[first], aliases=[spec.name]
                ),
            }
        )
        api.create_container(
            image,
            name=planned.container,
            hostname=spec.name,
            detach=True,
            stop_signal=d["stop_signal"],
            labels={LAB_LABEL: lab, "cloudlab.host": spec.name},
            host_config=host_config,
            networking_config=networking,
        )
        for extra in spec.networks[1:]:
            api.connect_container_to_network(
                planned.container, network_name(lab, extra), ipv4_address=planned.addresses[extra], aliases=[spec.name]
            )

    def _wait_booted(self, containers: list[str]) -> None:
        deadline = time.monotonic() + float(self.defaults["boot_timeout"])
        pending = list(containers)
        while pending:
            for name in list(pending):
                container = self.client.containers.get(name)
                container.reload()
                if container.status != "running":
                    raise LabError(self._boot_failure(container))
                result = container.exec_run(["systemctl", "is-system-running"])
                if result.output.decode().strip() in {"running", "degraded"}:
                    pending.remove(name)
            if pending and time.monotonic() > deadline:
                raise LabError(
                    f"systemd did not finish booting in {', '.join(pending)} within {self.defaults['boot_timeout']} s; see 'docker logs {pending[0]}'"
                )
            if pending:
                time.sleep(0.3)

    @staticmethod
    def _boot_failure(container: Any) -> str:
        """One sentence on a container that stopped while booting, with its last log line."""
        code = container.attrs.get("State", {}).get("ExitCode")
        lines = container.logs(tail=5).decode(errors="replace").strip().splitlines()
        last = lines[-1].strip() if lines else "no output"
        hint = ""
        if "inotify" in last:
            hint = " (raise the limit: sysctl -w fs.inotify.max_user_instances=8192; 'cloudlab doctor' checks it)"
        return f"container {container.name} stopped while booting (exit code {code}): {last}{hint}"

    def create(self, lab: str, scenario: Scenario, image: str) -> Provisioned:
        """Create the networks and containers of a new lab and wait until each host booted."""
        existing = self.describe(lab)
        if existing:
            raise LabError(f"Docker already has containers of lab {lab!r}; remove them with 'cloudlab down {lab}'")
        subnets = {net.name: self._create_network(lab, net.name, net.internal) for net in scenario.networks}
        planned = self._plan(scenario, subnets, lab)
        self._start_hosts(lab, scenario, planned, image_for=lambda _host: image)
        return Provisioned(hosts=planned, networks={name: str(net) for name, net in subnets.items()})

    def _start_hosts(self, lab: str, scenario: Scenario, planned: list[ProvisionedHost], image_for: Any) -> None:
        for spec, host in zip(scenario.hosts, planned, strict=True):
            self._create_container(lab, spec, host, planned, image_for(spec.name))
        for host in planned:
            self.client.api.start(host.container)
        self._wait_booted([host.container for host in planned])

    def describe(self, lab: str) -> list[HostStatus]:
        containers = self.client.containers.list(all=True, filters={"label": f"{LAB_LABEL}={lab}"})
        return sorted(
            (HostStatus(c.labels.get("cloudlab.host", c.name), c.name, c.status) for c in containers),
            key=lambda status: status.name,
        )

    # -- power ------------------------------------------------------------------------
    def stop_host(self, container: str) -> None:
        self.client.containers.get(container).stop(timeout=10)

    def start_host(self, container: str) -> None:
        self.client.containers.get(container).start()
        self._wait_booted([container])

    def restart_host(self, container: str) -> None:
        self.client.containers.get(container).restart(timeout=10)
        self._wait_booted([container])

    # -- snapshots ----------------------------------------------------------------------
    @staticmethod
    def _snapshot_tag(host: str, stage: str) -> str:
        return host if stage == "setup" else f"{host}.{stage}"

    def snapshot(self, lab: str, stage: str = "setup") -> None:
        """Commit every host's file system: ``reset`` recreates the hosts from these images."""
        for status in self.describe(lab):
            container = self.client.containers.get(status.container)
            container.commit(
                repository=f"{SNAPSHOT_REPOSITORY}/{lab}",
                tag=self._snapshot_tag(status.name, stage),
                conf={"Labels": {LAB_LABEL: lab, "cloudlab.stage": stage}},
            )

    def has_snapshot(self, lab: str, stage: str = "setup") -> bool:
        tags = [
            tag.rpartition(":")[2]
            for image in self.client.images.list(filters={"label": f"{LAB_LABEL}={lab}"})
            for tag in image.tags
        ]
        return any(("." not in tag) if stage == "setup" else tag.endswith(f".{stage}") for tag in tags)

    def restore(self, lab: str, scenario: Scenario, provisioned: Provisioned, stage: str = "setup") -> None:
        """Replace every host with a fresh container from its snapshot, on the same addresses."""
        for status in self.describe(lab):
            self.client.api.remove_container(status.container, force=True)
        self._start_hosts(
            lab,
            scenario,
            provisioned.hosts,
            image_for=lambda host: f"{SNAPSHOT_REPOSITORY}/{lab}:{self._snapshot_tag(host, stage)}",
        )

    def destroy(self, lab: str) -> list[str]:
        """Remove the lab's containers, networks and snapshot images; return what was removed."""
        removed = []
        for status in self.describe(lab):
            self.client.api.remove_container(status.container, force=True, v=True)
            removed.append(f"container {status.container}")
        for network in self.client.networks.list(filters={"label": f"{LAB_LABEL}={lab}"}):
            network.remove()
            removed.append(f"network {network.name}")
        for image in self.client.images.list(filters={"label": f"{LAB_LABEL}={lab}"}):
            self.client.images.remove(image.id, force=True)
            removed.append(f"image {', '.join(image.tags) or image.short_id}")
        return removed

    def inspect_addresses(
        self, containers: dict[str, str], networks: dict[str, str]
    ) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """Addresses and subnets of containers cloudlab did not create (Molecule's), by network.

        ``networks`` maps the scenario's network names to Docker network names.
        """
        subnets = {}
        for name, docker_name in networks.items():
            configs = (self.client.networks.get(docker_name).attrs.get("IPAM") or {}).get("Config") or []
            subnets[name] = next((c["Subnet"] for c in configs if ":" not in c.get("Subnet", ":")), "")
        addresses: dict[str, dict[str, str]] = {}
        for host, container in containers.items():
            attached = self.client.containers.get(container).attrs["NetworkSettings"]["Networks"]
            addresses[host] = {
                name: attached[docker_name]["IPAddress"]
                for name, docker_name in networks.items()
                if docker_name in attached
            }
        return addresses, subnets

    def shell_argv(self, container: str) -> list[str]:
        return ["docker", "exec", "-it", "-e", "TERM=xterm-256color", container, "bash", "-l"]
