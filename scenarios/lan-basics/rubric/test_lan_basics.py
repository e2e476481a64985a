"""Rubric of lan-basics: three servers named, addressed and routed by the network plan.

Every check looks at what the network does, never at configuration files: the router ``gw``
pings the planned addresses, each server resolves and pings the others' planned names and
reaches the head-office server ``hq`` through its default route, and the last check restarts
each server and looks again. systemd-networkd, a unit running ``ip`` commands, hostnamectl or
an edited /etc/hostname: any way that behaves correctly and survives a restart earns the points.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from cloudlab.grading.api import Partial, Text, check, wait_until
from cloudlab.grading.context import LabContext

ROUTER = "gw"
HQ_ADDRESS = "10.100.0.10"  # hq on the wan network, behind gw
OFF_LAN = "198.51.100.7"  # any address outside the LAN: only a default route reaches it
NODES = (("node1", "web01", 11), ("node2", "app01", 12), ("node3", "db01", 13))
BOOT_BOUND = 10  # seconds a restarted server (systemd already up) has to bring its settings back
SETTING_KINDS = ("name", "address", "resolve", "route")


@dataclass(frozen=True)
class Planned:
    host: str
    name: str
    address: str


def _plan(lab: LabContext) -> list[Planned]:
    octet, site = int(lab.params["lan_octet"]), str(lab.params["site"])
    return [Planned(host, f"{site}-{suffix}", f"192.168.{octet}.{last}") for host, suffix, last in NODES]


def _gateway(lab: LabContext) -> str:
    return f"192.168.{int(lab.params['lan_octet'])}.1"


def _ping(lab: LabContext, source: str, target: str) -> bool:
    return bool(lab.host(source).run(f"ping -n -c 1 -W 2 {shlex.quote(target)}").rc == 0)


def _hostname(lab: LabContext, host: str) -> str:
    return str(lab.host(host).run("hostname").stdout).strip()


def _has_address(lab: LabContext, host: str, address: str) -> bool:
    return f" {address}/" in lab.host(host).run("ip -4 -o address show").stdout


def _resolve(lab: LabContext, host: str, name: str) -> str:
    """The first IPv4 address ``host`` resolves ``name`` to (NSS: /etc/hosts, DNS, …), or ''."""
    lines = lab.host(host).run(f"getent ahostsv4 {shlex.quote(name)}").stdout.split()
    return lines[0] if lines else ""


def _default_via(lab: LabContext, host: str) -> str:
    """The next hop ``host`` would use for an address outside the LAN ('' without one)."""
    words = lab.host(host).run(f"ip -4 route get {OFF_LAN}").stdout.split()
    return words[words.index("via") + 1] if "via" in words else ""


def _name_ok(planned: Planned, seen: str) -> bool:
    """The short planned name, or a fully qualified name that starts with it."""
    return seen == planned.name or seen.startswith(planned.name + ".")


def _partial(earned: int, problems: list[tuple[str, str]]) -> Partial | None:
    if not problems:
        return None
    return Partial(earned, Text(zh="；".join(zh for zh, _ in problems), en="; ".join(en for _, en in problems)))


def _node_problems(lab: LabContext, me: Planned, plan: list[Planned]) -> dict[str, tuple[str, str]]:
    """What is wrong with one server's own settings, by kind (empty: all planned settings work)."""
    problems: dict[str, tuple[str, str]] = {}
    seen = _hostname(lab, me.host)
    if not _name_ok(me, seen):
        problems["name"] = (f"{me.host} 的主机名是 {seen}", f"{me.host} is named {seen}")
    if not _has_address(lab, me.host, me.address) or not _ping(lab, ROUTER, me.address):
        problems["address"] = (f"{me.host} 的地址 {me.address} 不可达", f"{me.host} does not answer on {me.address}")
    wrong = [o.name for o in plan if o.host != me.host and _resolve(lab, me.host, o.name) != o.address]
    if wrong:
        problems["resolve"] = (
            f"{me.host} 不能正确解析 {'、'.join(wrong)}",
            f"{me.host} does not resolve {', '.join(wrong)} to the planned addresses",
        )
    if _default_via(lab, me.host) != _gateway(lab) or not _ping(lab, me.host, HQ_ADDRESS):
        problems["route"] = (f"{me.host} 不能经网关访问 {HQ_ADDRESS}", f"{me.host} does not reach {HQ_ADDRESS} via gw")
    return problems


@check(
    id="hostnames-set",
    points=3,
    skills=["1.2.1"],
    partial=True,
    title={"zh": "三台服务器的主机名符合规划", "en": "the three servers carry their planned host names"},
)
def test_hostnames_set(lab: LabContext) -> Partial | None:
    problems = []
    for planned in _plan(lab):
        seen = _hostname(lab, planned.host)
        if not _name_ok(planned, seen):
            problems.append(
                (
                    f"{planned.host} 的主机名是 {seen or '（空）'}，应为 {planned.name}",
                    f"{planned.host} is named {seen or '(empty)'}, planned: {planned.name}",
                )
            )
    return _partial(len(NODES) - len(problems), problems)


@check(
    id="lan-addresses",
    points=6,
    skills=["1.2.1"],
    partial=True,
    title={
        "zh": "三台服务器使用规划的 IP 地址，网关 gw 能 ping 通",
        "en": "the three servers answer the router gw's ping on their planned addresses",
    },
)
def test_lan_addresses(lab: LabContext) -> Partial | None:
    problems = []
    for planned in _plan(lab):
        if not _has_address(lab, planned.host, planned.address):
            problems.append(
                (f"{planned.host} 上没有配置地址 {planned.address}", f"{planned.host} has no address {planned.address}")
            )
        elif not _ping(lab, ROUTER, planned.address):
            problems.append(
                (
                    f"gw ping 不通 {planned.host} 的地址 {planned.address}",
                    f"gw gets no answer from {planned.host} on {planned.address}",
                )
            )
    return _partial(2 * (len(NODES) - len(problems)), problems)


@check(
    id="names-resolve",
    points=6,
    skills=["1.2.1"],
    partial=True,
    title={
        "zh": "每台服务器都能用规划主机名访问另外两台",
        "en": "each server reaches the other two by their planned names",
    },
)
def test_names_resolve(lab: LabContext) -> Partial | None:
    plan = _plan(lab)
    problems = []
    for me in plan:
        for other in plan:
            if other is me:
                continue
            address = _resolve(lab, me.host, other.name)
            if address != other.address:
                problems.append(
                    (
                        f"{me.host} 把 {other.name} 解析为 {address or '（无结果）'}，应为 {other.address}",
                        f"{me.host} resolves {other.name} to {address or 'nothing'}, planned: {other.address}",
                    )
                )
            elif not _ping(lab, me.host, other.name):
                problems.append((f"{me.host} ping 不通 {other.name}", f"{me.host} gets no answer from {other.name}"))
    pairs = len(plan) * (len(plan) - 1)
    return _partial(pairs - len(problems), problems)


@check(
    id="default-gateway",
    points=3,
    skills=["1.2.1"],
    partial=True,
    title={
        "zh": "三台服务器的默认网关是 gw，能访问总部服务器",
        "en": "the three servers use gw as default gateway and reach the head-office server",
    },
)
def test_default_gateway(lab: LabContext) -> Partial | None:
    gateway = _gateway(lab)
    problems = []
    for planned in _plan(lab):
        via = _default_via(lab, planned.host)
        if via != gateway:
            problems.append(
                (
                    f"{planned.host} 访问局域网外地址时的下一跳是 {via or '（无路由）'}，应为 {gateway}",
                    f"{planned.host} sends traffic outside the LAN to {via or 'nowhere (no route)'}, not {gateway}",
                )
            )
        elif not _ping(lab, planned.host, HQ_ADDRESS):
            problems.append(
                (
                    f"{planned.host} 经 {gateway} ping 不通总部服务器 {HQ_ADDRESS}",
                    f"{planned.host} gets no answer from the head-office server {HQ_ADDRESS} via {gateway}",
                )
            )
    return _partial(len(NODES) - len(problems), problems)


@check(
    id="settings-survive-restart",
    points=6,
    skills=["1.2.1"],
    partial=True,
    title={
        "zh": "重启服务器后，主机名、地址、名称解析和默认网关依然有效",
        "en": "host names, addresses, name resolution and gateway all work after a restart",
    },
)
def test_settings_survive_restart(lab: LabContext) -> Partial | None:
    plan = _plan(lab)
    problems: list[tuple[str, str]] = []
    for me in plan:
        before = _node_problems(lab, me, plan)
        if len(before) == len(SETTING_KINDS):  # nothing to lose: a restart cannot prove anything
            problems.append(
                (f"{me.host} 上还没有任何规划的设置生效，未做重启测试", f"no planned setting works on {me.host} yet")
            )
            continue
        lab.restart(me.host)
        after: list[dict[str, tuple[str, str]]] = [{}]

        def settled(node: Planned = me, box: list[dict[str, tuple[str, str]]] = after) -> bool:
            box[0] = _node_problems(lab, node, plan)
            return not box[0]

        if not wait_until(settled, timeout=BOOT_BOUND, interval=2.0):
            zh = "，".join(text for text, _ in after[0].values())
            en = ", ".join(text for _, text in after[0].values())
            problems.append(
                (f"重启 {me.host} 后 {BOOT_BOUND} 秒内：{zh}", f"{BOOT_BOUND} s after {me.host} restarted: {en}")
            )
    return _partial(2 * (len(NODES) - len(problems)), problems)
