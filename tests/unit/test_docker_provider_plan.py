"""The docker provider's pure parts: address plan, /etc/hosts entries, names, subnet choice.

No Docker engine is involved: the provider gets a stand-in client, and the planning code must
not touch it at all.
"""

from __future__ import annotations

import ipaddress
from importlib import resources
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from cloudlab.providers import docker as docker_provider
from cloudlab.providers.base import HostStatus, ProvisionedHost
from cloudlab.providers.docker import DockerProvider, container_name, network_name
from cloudlab.scenarios.models import Scenario


class NoClient:
    """Any use of the Docker client fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"planning must not use the Docker client (it used .{name})")


def scenario() -> Scenario:
    return Scenario.model_validate(
        {
            "id": "two-tier",
            "version": "1.0.0",
            "title": {"zh": "两层", "en": "Two tiers"},
            "summary": {"zh": "两层", "en": "Two tiers"},
            "level": "中级",
            "skills": ["1.2.6"],
            "time_limit": 30,
            "pass_mark": 60,
            "networks": [{"name": "front"}, {"name": "back", "internal": True}],
            "hosts": [
                {"name": "lb1", "networks": ["front", "back"]},
                {"name": "web1", "networks": ["back"]},
                {"name": "web2", "networks": ["back"]},
                {"name": "client", "networks": ["front"]},
            ],
        }
    )


SUBNETS = {"front": ipaddress.IPv4Network("10.213.4.0/24"), "back": ipaddress.IPv4Network("10.213.5.0/24")}


def defaults_file() -> dict[str, Any]:
    text = (resources.files("cloudlab.providers") / "docker_defaults.yml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def test_defaults_come_from_the_data_file() -> None:
    provider = DockerProvider(client=NoClient())  # type: ignore[arg-type]
    assert provider.defaults == defaults_file()
    assert isinstance(provider.defaults["first_host_offset"], int)


def test_plan_gives_addresses_in_scenario_order_from_the_offset() -> None:
    provider = DockerProvider(client=NoClient())  # type: ignore[arg-type]
    offset = defaults_file()["first_host_offset"]
    plan = provider._plan(scenario(), SUBNETS, "seat-01")

    def at(net: str, index: int) -> str:
        return str(SUBNETS[net].network_address + offset + index)

    assert plan == [
        ProvisionedHost("lb1", "cl-seat-01-lb1", at("front", 0), {"front": at("front", 0), "back": at("back", 0)}),
        ProvisionedHost("web1", "cl-seat-01-web1", at("back", 1), {"back": at("back", 1)}),
        ProvisionedHost("web2", "cl-seat-01-web2", at("back", 2), {"back": at("back", 2)}),
        ProvisionedHost("client", "cl-seat-01-client", at("front", 3), {"front": at("front", 3)}),
    ]
    assert plan[0].address == "10.213.4.11"  # the documented default offset is 11


def test_plan_follows_the_configured_offset() -> None:
    provider = DockerProvider(client=NoClient())  # type: ignore[arg-type]
    provider.defaults["first_host_offset"] = 100
    plan = provider._plan(scenario(), SUBNETS, "x")
    assert [host.address for host in plan] == ["10.213.4.100", "10.213.5.101", "10.213.5.102", "10.213.4.103"]


def test_plan_addresses_are_unique_per_network() -> None:
    plan = DockerProvider(client=NoClient())._plan(scenario(), SUBNETS, "x")  # type: ignore[arg-type]
    for net in SUBNETS:
        addresses = [host.addresses[net] for host in plan if net in host.addresses]
        assert len(addresses) == len(set(addresses))
        assert all(ipaddress.IPv4Address(a) in SUBNETS[net] for a in addresses)


def test_etc_hosts_uses_the_address_on_a_shared_network() -> None:
    """web1 must reach lb1 on 'back' (the only network they share), not on lb1's first network."""
    plan = {host.name: host for host in DockerProvider(client=NoClient())._plan(scenario(), SUBNETS, "x")}  # type: ignore[arg-type]
    everyone = list(plan.values())
    assert DockerProvider._etc_hosts(plan["web1"], everyone) == {
        "lb1": "10.213.5.11",
        "web2": "10.213.5.13",
        "client": "10.213.4.14",  # no shared network: its main address (unreachable, but named)
    }
    assert DockerProvider._etc_hosts(plan["lb1"], everyone) == {
        "web1": "10.213.5.12",
        "web2": "10.213.5.13",
        "client": "10.213.4.14",
    }
    assert "client" not in DockerProvider._etc_hosts(plan["client"], everyone)


def test_names() -> None:
    """Every Docker object of a lab carries the lab name, so two seats never collide."""
    assert container_name("seat-01", "lb1") == "cl-seat-01-lb1"
    assert network_name("seat-01", "lab") == "cl-seat-01-lab"


# -- subnet choice and describe, with a fake client -----------------------------------


class FakeNetworks:
    def __init__(self, used: list[str], refuse: set[str] | None = None) -> None:
        self.existing = [SimpleNamespace(attrs={"IPAM": {"Config": [{"Subnet": s} for s in used]}}) for s in used]
        self.refuse = refuse or set()
        self.created: list[dict[str, Any]] = []

    def list(self, **_: Any) -> list[Any]:
        return self.existing

    def create(self, name: str, **options: Any) -> None:
        subnet = options["ipam"]["Config"][0]["Subnet"]
        if subnet in self.refuse:
            import docker.errors

            self.refuse.discard(subnet)
            raise docker.errors.APIError("Pool overlaps with other one on this address space")
        self.created.append({"name": name, "subnet": subnet, **options})


def test_create_network_skips_subnets_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lab subnet must overlap neither another Docker network nor a route of this machine."""
    monkeypatch.setattr(docker_provider, "routes_in_use", lambda: [ipaddress.IPv4Network("10.213.1.0/24")])
    networks = FakeNetworks(used=["10.213.0.0/24", "fd00::/64"], refuse={"10.213.2.0/24"})
    provider = DockerProvider(client=SimpleNamespace(networks=networks))  # type: ignore[arg-type]
    chosen = provider._create_network("seat-01", "back", internal=True)
    assert chosen == ipaddress.IPv4Network("10.213.3.0/24")  # .2 was taken by another lab a moment ago
    (created,) = networks.created
    assert created["name"] == "cl-seat-01-back"
    assert created["internal"] is True
    assert created["labels"] == {"cloudlab.lab": "seat-01", "cloudlab.network": "back"}


def test_describe_lists_the_lab_hosts_by_label() -> None:
    calls: list[dict[str, Any]] = []

    def containers_list(**options: Any) -> list[Any]:
        calls.append(options)
        return [
            SimpleNamespace(name="cl-s-web1", status="running", labels={"cloudlab.host": "web1"}),
            SimpleNamespace(name="cl-s-lb1", status="exited", labels={"cloudlab.host": "lb1"}),
        ]

    provider = DockerProvider(client=SimpleNamespace(containers=SimpleNamespace(list=containers_list)))  # type: ignore[arg-type]
    assert provider.describe("s") == [
        HostStatus("lb1", "cl-s-lb1", "exited"),
        HostStatus("web1", "cl-s-web1", "running"),
    ]
    assert calls == [{"all": True, "filters": {"label": "cloudlab.lab=s"}}]


def test_shell_argv() -> None:
    argv = DockerProvider(client=NoClient()).shell_argv("cl-s-lb1")  # type: ignore[arg-type]
    assert argv[:3] == ["docker", "exec", "-it"]
    assert argv[-3:] == ["cl-s-lb1", "bash", "-l"]
