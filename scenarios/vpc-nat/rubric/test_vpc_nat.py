"""Rubric of vpc-nat: gw as the NAT gateway of the private subnet, one port forward, nothing else open.

Each probe runs where a real user would stand: outbound traffic starts on ``app`` in the
private subnet and goes to the ``internet`` host, whose web service answers with the source
address it saw (so the check sees the translation, not a configuration file). Inbound probes
start on ``internet`` and only know gw's outside address. Any tool (nftables, iptables, one
table or several, any route mechanism on app) that behaves correctly earns the points.
"""

from __future__ import annotations

import shlex

from cloudlab.grading.api import Fail, check, expect, wait_until
from cloudlab.grading.context import LabContext
from cloudlab.grading.probes import HttpReply, http_get

CURL_TIMEOUT = 5  # seconds for one request
SCAN_TIMEOUT = 2  # seconds nc waits for one port (filtered ports take this long)
RESTART_BOUND = 20  # seconds the gateway has to work again once gw and app finished booting
# Ports that must not answer on gw's outside address (the public port is taken out): gw's and
# app's ssh, common web and database ports, and every port a seat may use for app's service.
SCAN_PORTS = (22, 80, 443, 3000, 3306, 5000, 8000, 8080, 8081, 8088, 9080)


def _curl(lab: LabContext, host: str, url: str) -> HttpReply:
    return http_get(lab.host(host), url, timeout=CURL_TIMEOUT)


def _gw_outside(lab: LabContext) -> str:
    return lab.address("gw", "outside")


def _internet(lab: LabContext) -> str:
    return lab.address("internet", "outside")


def _public_url(lab: LabContext) -> str:
    return f"http://{_gw_outside(lab)}:{lab.params['public_port']}/"


def _open_ports(lab: LabContext) -> list[int]:
    """Ports of gw's outside address (besides the public one) that accept a TCP connection."""
    public = int(lab.params["public_port"])
    ports = sorted({*SCAN_PORTS, int(lab.params["app_port"])} - {public})
    target = shlex.quote(_gw_outside(lab))
    script = (
        f"for p in {' '.join(map(str, ports))}; do "
        f"(nc -z -w {SCAN_TIMEOUT} {target} $p 2>/dev/null && echo $p) & done; wait"
    )
    result = lab.host("internet").run("bash -c %s", script)
    return sorted(int(line) for line in result.stdout.split() if line.isdigit())


def _outbound_works(lab: LabContext) -> bool:
    reply = _curl(lab, "app", f"http://{_internet(lab)}/")
    return reply.code == 200 and reply.body == _gw_outside(lab)


def _forward_works(lab: LabContext) -> bool:
    reply = _curl(lab, "internet", _public_url(lab))
    return reply.code == 200 and reply.body == "app"


def _closed_works(lab: LabContext) -> bool:
    return not _open_ports(lab)


@check(
    id="outbound-via-nat",
    points=5,
    skills=["2.2.1", "2.2.2"],
    title={
        "zh": "app 经 gw 访问外部网络，外部看到的来源是 gw 的外部地址",
        "en": "app reaches the outside through gw, seen from outside as gw's outside address",
    },
)
def test_outbound_via_nat(lab: LabContext) -> None:
    url = f"http://{_internet(lab)}/"
    reply = _curl(lab, "app", url)
    if reply.code == 0:
        route = " ".join(lab.host("app").run("ip -4 route show default").stdout.split())
        raise Fail(
            zh=f"在 app 上访问外部主机 {url} 失败：{reply.error}（app 的默认路由：{route or '无'}）",
            en=f"{url} (the internet host) failed from app: {reply.error} (app's default route: {route or 'none'})",
        )
    expect(
        reply.code == 200,
        zh=f"在 app 上访问 {url} 收到 HTTP {reply.code}，应为 200",
        en=f"{url} answered HTTP {reply.code} on app, expected 200",
    )
    expected = _gw_outside(lab)
    expect(
        reply.body == expected,
        zh=f"外部主机看到的来源地址是 {reply.body[:40]!r}，应为 gw 的外部地址 {expected}（源地址转换没有生效）",
        en=f"the internet host saw the connection come from {reply.body[:40]!r}, expected gw's outside address {expected} (no source NAT)",
    )


@check(
    id="port-forward",
    points=5,
    skills=["2.2.2"],
    title={
        "zh": "从外部访问 gw 外部地址的发布端口，得到 app 的网页",
        "en": "the public port on gw's outside address serves app's web page to the outside",
    },
)
def test_port_forward(lab: LabContext) -> None:
    url = _public_url(lab)
    reply = _curl(lab, "internet", url)
    if reply.code == 0:
        raise Fail(
            zh=f"从外部主机 internet 访问 {url} 失败：{reply.error}",
            en=f"{url} failed from the internet host: {reply.error}",
        )
    expect(
        reply.code == 200,
        zh=f"从外部访问 {url} 收到 HTTP {reply.code}，应为 200",
        en=f"{url} answered HTTP {reply.code} from outside, expected 200",
    )
    expect(
        reply.body == "app",
        zh=f"{url} 返回的不是 app 上的网页（应为 'app'）：{reply.body[:80]!r}",
        en=f"{url} did not serve app's page (expected 'app'): {reply.body[:80]!r}",
    )


@check(
    id="outside-closed",
    points=4,
    skills=["2.2.1", "2.2.2"],
    title={
        "zh": "gw 的外部地址上除发布端口外没有开放其他端口",
        "en": "gw's outside address exposes no port but the public one",
    },
)
def test_outside_closed(lab: LabContext) -> None:
    opened = _open_ports(lab)
    listed = ", ".join(map(str, opened))
    expect(
        not opened,
        zh=f"从外部主机可以连接 gw 外部地址 {_gw_outside(lab)} 的这些 TCP 端口：{listed}（只应开放 {lab.params['public_port']}）",
        en=f"the internet host can connect to TCP port(s) {listed} of gw's outside address {_gw_outside(lab)} (only {lab.params['public_port']} should answer)",
    )


@check(
    id="nat-survives-restart",
    points=4,
    skills=["2.2.1", "2.2.2"],
    title={
        "zh": "gw 和 app 重启后，NAT、端口映射和外部防护仍然有效",
        "en": "NAT, the port forward and the closed outside still work after gw and app restart",
    },
)
def test_nat_survives_restart(lab: LabContext) -> None:
    probes = {
        "outbound": (_outbound_works, "app 经 gw 访问外部", "app reaching the outside through gw"),
        "forward": (_forward_works, "端口映射", "the port forward"),
        "closed": (_closed_works, "外部地址只开放发布端口", "the closed outside address"),
    }
    before = {name for name, (probe, _, _) in probes.items() if probe(lab)}
    expect(
        before,
        zh="重启前 NAT、端口映射和外部防护都还没有生效，无法检查重启后的状态",
        en="neither NAT, the port forward nor the closed outside works yet, so there is nothing to check across a restart",
    )
    lab.restart("gw")
    lab.restart("app")
    after: list[set[str]] = [set()]

    def all_back() -> bool:
        after[0] = {name for name in before if probes[name][0](lab)}
        return after[0] == before

    if not wait_until(all_back, timeout=RESTART_BOUND, interval=2.0):
        lost = sorted(before - after[0])
        raise Fail(
            zh=(
                f"重启 gw 和 app 后 {RESTART_BOUND} 秒内，以下重启前有效的功能没有恢复："
                f"{'、'.join(probes[name][1] for name in lost)}（规则和路由是否做了持久化？）"
            ),
            en=(
                f"{RESTART_BOUND} s after gw and app restarted, these worked before but not after: "
                f"{', '.join(probes[name][2] for name in lost)} (are the rules and the route persistent?)"
            ),
        )
