"""Rubric of router-firewall: forwarding, source NAT and (中级) a forward filter policy on router.

Every check sends real traffic between lab hosts and looks at what arrives: web and inet run a
small HTTP service that answers with its name and the client address it saw, so one request
shows both that the path works and whether router translated the source. Blocked connections are
judged against a control connection that must work, so "nothing is routed at all" never passes as
"the firewall blocks it". nftables sets, iptables-nft, interface names or addresses in the rules:
any way that behaves correctly and survives a restart of router earns the points.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from cloudlab.grading.api import Fail, check, expect, wait_until
from cloudlab.grading.context import LabContext

ROUTER = "router"
ROUTER_OUTSIDE = "203.0.113.2"
INET = "203.0.113.100"
CONNECT_TIMEOUT = 2  # seconds for one TCP connection attempt (a dropped packet never answers)
RESTART_BOUND = 20  # seconds router has after booting to load its rules and forward again


@dataclass(frozen=True)
class Reply:
    """What the echo service said: its name and the client address it saw ('' when no answer)."""

    name: str
    client: str

    @property
    def answered(self) -> bool:
        return bool(self.name)


def _office(lab: LabContext, last: int) -> str:
    return f"192.168.{int(lab.params['net_octet'])}.{last}"


def _web(lab: LabContext) -> str:
    return f"172.16.{int(lab.params['net_octet'])}.10"


def _echo(lab: LabContext, source: str, address: str, port: int = 80) -> Reply:
    url = shlex.quote(f"http://{address}:{port}/")
    words = lab.host(source).run(f"curl -s --max-time {CONNECT_TIMEOUT} {url}").stdout.split()
    return Reply(words[0], words[1]) if len(words) == 2 else Reply("", "")


def _connects(lab: LabContext, source: str, address: str, port: int) -> bool:
    """Whether a TCP connection from ``source`` to ``address:port`` is accepted."""
    return bool(lab.host(source).run(f"nc -z -w {CONNECT_TIMEOUT} {shlex.quote(address)} {port}").rc == 0)


def _ssh_banner(lab: LabContext, source: str, address: str) -> bool:
    result = lab.host(source).run(f"timeout {CONNECT_TIMEOUT + 2} nc -w {CONNECT_TIMEOUT} {shlex.quote(address)} 22")
    return str(result.stdout).startswith("SSH-")


def _require_dmz_reachable(lab: LabContext) -> None:
    """The control every policy check stands on: pc reaches the web page in the DMZ."""
    if not _echo(lab, "pc", _web(lab)).answered:
        raise Fail(
            zh=f"pc 访问不到 DMZ 中的网站 http://{_web(lab)}/，无法判断防火墙策略（转发和放行 Web 是前提）",
            en=f"pc cannot open http://{_web(lab)}/ in the DMZ, so the policy cannot be judged "
            "(forwarding and web access come first)",
        )


def _nat_problem(lab: LabContext, source: str, source_zh: str) -> tuple[str, str] | None:
    reply = _echo(lab, source, INET)
    if not reply.answered:
        return (
            f"从 {source_zh} 访问外网主机 http://{INET}/ 没有应答（外网没有回到内网的路由，需要源地址转换）",
            f"{source} gets no answer from the outside host http://{INET}/ (the outside has no route back "
            "into private networks: source NAT is needed)",
        )
    if reply.client != ROUTER_OUTSIDE:
        return (
            f"外网主机看到 {source_zh} 的请求来自 {reply.client}，应为 router 的外网地址 {ROUTER_OUTSIDE}",
            f"the outside host saw {source}'s request come from {reply.client}, not from router's "
            f"outside address {ROUTER_OUTSIDE}",
        )
    return None


def _policy_problems(lab: LabContext) -> list[tuple[str, str]]:
    """What is wrong with the policy; stops at the first problem (blocked probes cost a timeout)."""
    web, app_port = _web(lab), int(lab.params["app_port"])
    probes: list[tuple[Callable[[], bool], str, str]] = [
        (lambda: _echo(lab, "pc", web).answered, "pc 访问不到 DMZ 的网站", "pc cannot open the DMZ web site"),
        (lambda: _ssh_banner(lab, "admin", web), "admin 无法 SSH 到 web", "admin cannot reach SSH on web"),
        (lambda: not _connects(lab, "pc", web, 22), "pc 可以连接 web 的 SSH", "pc can connect to SSH on web"),
        (
            lambda: not _connects(lab, "pc", web, app_port),
            f"pc 可以连接 web 的 {app_port} 端口",
            f"pc can connect to port {app_port} on web",
        ),
    ]
    for probe, zh, en in probes:
        if not probe():
            return [(zh, en)]
    return []


Problems = list[tuple[str, str]]


def _restart_router(lab: LabContext, probe: Callable[[LabContext], Problems]) -> Problems:
    """Restart router, then give it ``RESTART_BOUND`` seconds until ``probe`` finds no problem."""
    lab.restart(ROUTER)
    found: list[list[tuple[str, str]]] = [[]]

    def settled() -> bool:
        found[0] = probe(lab)
        return not found[0]

    wait_until(settled, timeout=RESTART_BOUND, interval=2.0)
    return found[0]


def _fail_list(problems: list[tuple[str, str]], zh_head: str, en_head: str) -> None:
    if problems:
        raise Fail(
            zh=zh_head + "；".join(zh for zh, _ in problems),
            en=en_head + "; ".join(en for _, en in problems),
        )


# --- 初级: forwarding and source NAT ---------------------------------------------------------


@check(
    id="office-to-dmz",
    points=4,
    skills=["1.2.2"],
    title={
        "zh": "办公网主机经 router 能访问 DMZ 的网站",
        "en": "an office host reaches the DMZ web site through router",
    },
)
def test_office_to_dmz(lab: LabContext) -> None:
    reply = _echo(lab, "pc", _web(lab))
    expect(
        reply.answered and reply.name == "web",
        zh=f"从 pc 访问 http://{_web(lab)}/ 没有得到 web 的应答（router 是否开启了 IPv4 转发？）",
        en=f"pc got no answer from web at http://{_web(lab)}/ (is IPv4 forwarding on at router?)",
    )


@check(
    id="dmz-sees-office-address",
    points=2,
    skills=["1.2.2"],
    title={
        "zh": "办公网与 DMZ 之间直接路由，不做地址转换",
        "en": "traffic between office and DMZ is routed, not translated",
    },
)
def test_dmz_sees_office_address(lab: LabContext) -> None:
    reply, pc = _echo(lab, "pc", _web(lab)), _office(lab, 20)
    expect(
        reply.answered,
        zh=f"从 pc 访问 http://{_web(lab)}/ 没有应答",
        en=f"pc got no answer from http://{_web(lab)}/",
    )
    expect(
        reply.client == pc,
        zh=f"web 看到 pc 的请求来自 {reply.client}，应为 pc 自己的地址 {pc}（源地址转换只应用于去往外网的流量）",
        en=f"web saw pc's request come from {reply.client}, not from pc's own address {pc} "
        "(source NAT belongs on traffic to the outside only)",
    )


@check(
    id="office-nat-outside",
    points=4,
    skills=["1.2.2"],
    title={
        "zh": "办公网访问外网时源地址转换为 router 的外网地址",
        "en": "office traffic to the outside leaves with router's outside address",
    },
)
def test_office_nat_outside(lab: LabContext) -> None:
    problem = _nat_problem(lab, "pc", "pc")
    if problem:
        raise Fail(zh=problem[0], en=problem[1])


@check(
    id="dmz-nat-outside",
    points=3,
    skills=["1.2.2"],
    title={
        "zh": "DMZ 访问外网时源地址转换为 router 的外网地址",
        "en": "DMZ traffic to the outside leaves with router's outside address",
    },
)
def test_dmz_nat_outside(lab: LabContext) -> None:
    problem = _nat_problem(lab, "web", "web")
    if problem:
        raise Fail(zh=problem[0], en=problem[1])


# --- 中级: the filter policy -----------------------------------------------------------------


@check(
    id="dmz-ssh-admin-only",
    points=4,
    skills=["1.2.2"],
    level="中级",
    title={"zh": "只有 admin 能 SSH 到 DMZ 的 web", "en": "only admin reaches SSH on web in the DMZ"},
)
def test_dmz_ssh_admin_only(lab: LabContext) -> None:
    _require_dmz_reachable(lab)
    web = _web(lab)
    expect(
        _ssh_banner(lab, "admin", web),
        zh=f"admin 连接 {web}:22 没有收到 SSH 服务的应答，管理员应能 SSH 到 web",
        en=f"admin got no SSH greeting from {web}:22; the administrator must reach SSH on web",
    )
    expect(
        not _connects(lab, "pc", web, 22),
        zh=f"pc 能连接 {web}:22，SSH 只应允许 admin 访问",
        en=f"pc can connect to {web}:22; SSH must be open to admin only",
    )


@check(
    id="dmz-other-ports-closed",
    points=3,
    skills=["1.2.2"],
    level="中级",
    title={"zh": "进入 DMZ 的其他流量被丢弃", "en": "other traffic into the DMZ is dropped"},
)
def test_dmz_other_ports_closed(lab: LabContext) -> None:
    _require_dmz_reachable(lab)
    web, port = _web(lab), int(lab.params["app_port"])
    if not _connects(lab, "web", "127.0.0.1", port):
        raise Fail(
            zh=f"web 本机的 {port} 端口服务没有运行（不要修改 web），无法判断",
            en=f"the service on port {port} of web is not running (do not change web), so this cannot be judged",
        )
    open_from = [source for source in ("pc", "admin") if _connects(lab, source, web, port)]
    expect(
        not open_from,
        zh=f"{'、'.join(open_from)} 能连接 {web}:{port}，DMZ 只应开放 Web 和（对 admin 的）SSH",
        en=f"{', '.join(open_from)} can connect to {web}:{port}; the DMZ must only be open for web and SSH from admin",
    )


@check(
    id="dmz-cannot-reach-office",
    points=3,
    skills=["1.2.2"],
    level="中级",
    title={"zh": "DMZ 不能主动连接办公网", "en": "the DMZ cannot open connections into the office"},
)
def test_dmz_cannot_reach_office(lab: LabContext) -> None:
    _require_dmz_reachable(lab)
    reached = [name for name, last in (("admin", 10), ("pc", 20)) if _connects(lab, "web", _office(lab, last), 22)]
    expect(
        not reached,
        zh=f"web 能连接 {'、'.join(reached)} 的 SSH 端口，DMZ 主动发往办公网的连接应被丢弃",
        en=f"web can connect to SSH on {', '.join(reached)}; connections from the DMZ into the office must be dropped",
    )


# --- Persistence (a restart of router; kept last: a restart also undoes runtime changes) ----------


def _nat_state(lab: LabContext) -> list[tuple[str, str]]:
    """What is wrong with forwarding and source NAT; stops at the first problem."""
    if not _echo(lab, "pc", _web(lab)).answered:
        return [("pc 访问不到 DMZ 的网站（转发）", "pc cannot open the DMZ web site (forwarding)")]
    for source in ("pc", "web"):
        problem = _nat_problem(lab, source, source)
        if problem:
            return [problem]
    return []


@check(
    id="router-survives-restart",
    points=3,
    skills=["1.2.2"],
    title={
        "zh": "router 重启后转发和源地址转换依然有效",
        "en": "forwarding and source NAT work again after router restarts",
    },
)
def test_router_survives_restart(lab: LabContext) -> None:
    _fail_list(
        _nat_state(lab), "重启前转发或源地址转换就没有生效，未做重启测试：", "not working even before a restart: "
    )
    problems = _restart_router(lab, _nat_state)
    _fail_list(problems, f"router 重启后 {RESTART_BOUND} 秒内：", f"{RESTART_BOUND} s after router restarted: ")


@check(
    id="policy-survives-restart",
    points=4,
    skills=["1.2.2"],
    level="中级",
    title={"zh": "router 重启后防火墙策略依然有效", "en": "the firewall policy holds again after router restarts"},
)
def test_policy_survives_restart(lab: LabContext) -> None:
    _fail_list(
        _policy_problems(lab),
        "重启前策略就没有生效，未做重启测试：",
        "the policy does not hold even before a restart: ",
    )
    problems = _restart_router(lab, _policy_problems)
    _fail_list(problems, f"router 重启后 {RESTART_BOUND} 秒内：", f"{RESTART_BOUND} s after router restarted: ")
