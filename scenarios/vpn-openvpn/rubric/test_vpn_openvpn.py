"""Rubric of vpn-openvpn: two VPCs joined by a site-to-site OpenVPN tunnel between gw-a and gw-b.

Reachability is tested with ping from host-a and host-b, the way traffic between the VPCs
really flows. Whether that traffic crosses the wan inside the tunnel is observed on the wire:
while host-a pings host-b with a random payload, a raw-socket capture on gw-b's wan interface
looks for packets with VPC addresses (plain routing), for the payload in clear text (no
encryption), for the UDP port the gateways talk over, and for OpenVPN's TLS-mode packet opcodes.
Nothing here reads an OpenVPN configuration file: p2p or server/client mode, any unit name, any
file layout earn the points when the tunnel behaves as the task sheet asks.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from cloudlab.grading.api import Fail, check, expect, wait_until
from cloudlab.grading.context import LabContext

GW_A, GW_B, HOST_A, HOST_B = "gw-a", "gw-b", "host-a", "host-b"
GATEWAYS = (GW_A, GW_B)
CAPTURE_LIMIT = 20  # seconds a capture on gw-b may run at most (it stops when the pings are done)
MIN_TUNNEL_PACKETS = 6  # of host-a's 8 echo requests, at least this many must cross the wan in the tunnel
RESTART_BOUND = 30  # seconds the tunnel has to come back after a gateway restart (task sheet)
RESTORE_BOUND = 20  # seconds to wait for the tunnel after the rubric restarted OpenVPN itself
# OpenVPN TLS-mode opcodes (high 5 bits of the first payload byte): soft reset, control, ack,
# data v1, hard resets, data v2, client reset v3, control wkc. Static-key packets start with
# an HMAC or random IV instead, so their first bytes fall anywhere.
TLS_OPCODES = frozenset(range(3, 12))

# Runs on gw-b: captures every frame on the wan interface (AF_PACKET needs CAP_NET_RAW, which
# lab hosts have) until a stop file appears or the time is up, then prints one JSON summary.
# It creates the ready file once it listens, so the pings start only when nothing can be missed.
# Arguments: interface, max seconds, payload marker (hex), gateway addresses (comma-separated),
# VPC subnets.
SNIFFER = r"""
import ipaddress, json, os, socket, struct, sys, time
ifname, seconds, marker = sys.argv[1], float(sys.argv[2]), bytes.fromhex(sys.argv[3])
gateways = set(sys.argv[4].split(","))
nets = [ipaddress.ip_network(n) for n in sys.argv[5:]]
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
sock.bind((ifname, 0))
sock.settimeout(0.1)
open("/tmp/.cloudlab-capture.ready", "w").close()
out = {"frames": 0, "plain": [], "marker": 0, "tunnel": {}}
end = time.monotonic() + seconds
while time.monotonic() < end and not os.path.exists("/tmp/.cloudlab-capture.stop"):
    try:
        frame = sock.recv(65535)
    except socket.timeout:
        continue
    out["frames"] += 1
    if marker in frame:
        out["marker"] += 1
    if frame[12:14] != b"\x08\x00":
        continue
    ip = frame[14:]
    ihl, proto = (ip[0] & 15) * 4, ip[9]
    src, dst = str(ipaddress.ip_address(ip[12:16])), str(ipaddress.ip_address(ip[16:20]))
    if any(ipaddress.ip_address(a) in n for a in (src, dst) for n in nets):
        if len(out["plain"]) < 5:
            out["plain"].append(src + " > " + dst)
        continue
    if proto not in (6, 17) or src not in gateways or dst not in gateways:
        continue
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    if proto == 17:
        body = ip[ihl + 8:]
    else:
        body = ip[ihl + (ip[ihl + 12] >> 4) * 4:][2:]
    if not body:
        continue
    key = "%s %s:%d > %s:%d" % ("udp" if proto == 17 else "tcp", src, sport, dst, dport)
    flow = out["tunnel"].setdefault(key, {"packets": 0, "opcodes": {}})
    flow["packets"] += 1
    opcode = str(body[0] >> 3)
    flow["opcodes"][opcode] = flow["opcodes"].get(opcode, 0) + 1
print(json.dumps(out), flush=True)
"""
CAPTURE_FILES = "/tmp/.cloudlab-capture"  # .py, .ready, .stop, .json on gw-b


@dataclass(frozen=True)
class Flow:
    """Packets between the two gateways' wan addresses with one protocol and port pair."""

    proto: str
    src: str
    sport: int
    dst: str
    dport: int
    packets: int
    opcodes: dict[int, int] = field(default_factory=dict)

    def label(self) -> str:
        return f"{self.proto.upper()} {self.src}:{self.sport} → {self.dst}:{self.dport}"


@dataclass(frozen=True)
class Capture:
    """What crossed gw-b's wan interface while host-a pinged host-b."""

    plain: list[str]
    marker: int
    flows: list[Flow]

    def from_gateway(self, address: str) -> int:
        return sum(flow.packets for flow in self.flows if flow.src == address)


def _ping(lab: LabContext, source: str, address: str, count: int = 4, pattern: str = "") -> tuple[int, int]:
    """Echo requests sent and replies received by ``ping`` on ``source`` (count × 0.2 s + 1 s at most)."""
    fill = f"-p {pattern} " if pattern else ""
    result = lab.host(source).run(f"ping -n -q -c {count} -i 0.2 -W 1 {fill}{address}")
    match = re.search(r"(\d+) packets transmitted, (\d+) received", result.stdout)
    return (int(match.group(1)), int(match.group(2))) if match else (count, 0)


def _tunnel_address(lab: LabContext, gateway: str) -> str:
    return f"10.8.{int(lab.params['tunnel_octet'])}.{1 if gateway == GW_B else 2}"


def _openvpn_running(lab: LabContext, gateway: str) -> bool:
    return bool(lab.host(gateway).run("pgrep -x openvpn").rc == 0)


def _interface_of(lab: LabContext, host: str, address: str) -> str:
    """The interface of ``host`` that carries ``address`` (``eth1``)."""
    for line in lab.host(host).run("ip -o -4 addr show").stdout.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3].split("/")[0] == address:
            return str(fields[1].split("@")[0])
    raise Fail(
        zh=f"{host} 上找不到地址 {address} 所在的网卡，实验环境网络异常",
        en=f"no interface of {host} carries {address}: the lab network is broken",
    )


def _capture(lab: LabContext) -> Capture:
    """Capture gw-b's wan traffic while host-a sends 8 pings with a random payload to host-b."""
    marker = secrets.token_hex(8)
    gw_wan = {gateway: lab.address(gateway, "wan") for gateway in GATEWAYS}
    gw_b = lab.host(GW_B)
    interface = _interface_of(lab, GW_B, gw_wan[GW_B])
    gw_b.run(f"rm -f {CAPTURE_FILES}.*; printf '%%s' %s > {CAPTURE_FILES}.py", SNIFFER)
    gw_b.run(
        f"setsid python3 {CAPTURE_FILES}.py %s %s %s %s %s %s > {CAPTURE_FILES}.json 2>&1 </dev/null &",
        interface,
        str(CAPTURE_LIMIT),
        marker,
        ",".join(gw_wan.values()),
        lab.subnet("vpc-a"),
        lab.subnet("vpc-b"),
    )
    ready = wait_until(lambda: gw_b.run(f"test -e {CAPTURE_FILES}.ready").rc == 0, timeout=10, interval=0.3)
    if not ready:
        output = gw_b.run(f"cat {CAPTURE_FILES}.json").stdout.strip()[-200:]
        raise Fail(
            zh=f"无法在 gw-b 上抓取 wan 网卡的流量：{output}",
            en=f"could not capture the wan traffic on gw-b: {output}",
        )
    _ping(lab, HOST_A, lab.address(HOST_B, "vpc-b"), count=8, pattern=marker)
    gw_b.run(f"touch {CAPTURE_FILES}.stop")
    result: list[dict[str, Any]] = []

    def finished() -> bool:
        text = gw_b.run(f"cat {CAPTURE_FILES}.json").stdout.strip()
        if text.startswith("{") and text.endswith("}"):
            result.append(json.loads(text))
            return True
        return False

    if not wait_until(finished, timeout=10, interval=0.3):
        raise Fail(
            zh="gw-b 上的抓包程序没有正常结束",
            en="the capture on gw-b did not finish",
        )
    data = result[0]
    flows = []
    for key, value in data["tunnel"].items():
        proto, left, _, right = key.split(" ")
        src, sport = left.rsplit(":", 1)
        dst, dport = right.rsplit(":", 1)
        opcodes = {int(op): int(n) for op, n in value["opcodes"].items()}
        flows.append(Flow(proto, src, int(sport), dst, int(dport), int(value["packets"]), opcodes))
    return Capture(plain=[str(item) for item in data["plain"]], marker=int(data["marker"]), flows=flows)


def _flows_text(capture: Capture) -> str:
    return "; ".join(f"{flow.label()} ×{flow.packets}" for flow in capture.flows) or "-"


def _require_tunnel_traffic(lab: LabContext, capture: Capture) -> None:
    """Fail unless host-a's pings crossed the wan from gw-a to gw-b between the gateway addresses."""
    sent = capture.from_gateway(lab.address(GW_A, "wan"))
    if sent < MIN_TUNNEL_PACKETS:
        raise Fail(
            zh=(
                f"host-a 向 host-b 发送 8 个 ping 期间，wan 上从 gw-a 到 gw-b 只有 {sent} 个隧道数据包："
                "host-a 的流量没有经过 gw-a 与 gw-b 之间的隧道"
            ),
            en=(
                f"while host-a sent 8 pings to host-b, only {sent} packets went from gw-a to gw-b on the "
                "wan: host-a's traffic does not travel through a tunnel between gw-a and gw-b"
            ),
        )


@check(
    id="openvpn-running",
    points=2,
    skills=["2.2.4"],
    title={"zh": "gw-a 和 gw-b 上都运行着 OpenVPN", "en": "OpenVPN runs on gw-a and on gw-b"},
)
def test_openvpn_running(lab: LabContext) -> None:
    missing = [gateway for gateway in GATEWAYS if not _openvpn_running(lab, gateway)]
    expect(
        not missing,
        zh=f"{'、'.join(missing)} 上没有运行中的 openvpn 进程",
        en=f"no openvpn process runs on {' and '.join(missing)}",
    )


@check(
    id="tunnel-addresses",
    points=3,
    skills=["2.2.4"],
    title={
        "zh": "隧道两端使用规划的隧道地址并能互相 ping 通",
        "en": "both ends of the tunnel use the planned tunnel addresses and ping each other",
    },
)
def test_tunnel_addresses(lab: LabContext) -> None:
    for source, target in ((GW_A, GW_B), (GW_B, GW_A)):
        address = _tunnel_address(lab, target)
        sent, received = _ping(lab, source, address)
        expect(
            received > 0,
            zh=f"在 {source} 上 ping {target} 的隧道地址 {address}：发送 {sent} 个，收到 {received} 个回应",
            en=f"ping from {source} to the tunnel address {address} of {target}: {received} of {sent} answered",
        )


@check(
    id="a-reaches-b",
    points=4,
    skills=["2.2.4"],
    title={"zh": "vpc-a 中的 host-a 可以访问 vpc-b 中的 host-b", "en": "host-a in vpc-a reaches host-b in vpc-b"},
)
def test_a_reaches_b(lab: LabContext) -> None:
    address = lab.address(HOST_B, "vpc-b")
    sent, received = _ping(lab, HOST_A, address)
    expect(
        received >= 2,
        zh=f"在 host-a 上 ping host-b（{address}）：发送 {sent} 个，只收到 {received} 个回应",
        en=f"ping from host-a to host-b ({address}): only {received} of {sent} answered",
    )


@check(
    id="b-reaches-a",
    points=3,
    skills=["2.2.4"],
    title={"zh": "vpc-b 中的 host-b 可以访问 vpc-a 中的 host-a", "en": "host-b in vpc-b reaches host-a in vpc-a"},
)
def test_b_reaches_a(lab: LabContext) -> None:
    address = lab.address(HOST_A, "vpc-a")
    sent, received = _ping(lab, HOST_B, address)
    expect(
        received >= 2,
        zh=f"在 host-b 上 ping host-a（{address}）：发送 {sent} 个，只收到 {received} 个回应",
        en=f"ping from host-b to host-a ({address}): only {received} of {sent} answered",
    )


@check(
    id="wan-encrypted",
    points=4,
    skills=["2.2.4"],
    title={
        "zh": "VPC 之间的流量只以加密隧道的形式经过 wan",
        "en": "traffic between the VPCs crosses the wan only inside the encrypted tunnel",
    },
)
def test_wan_encrypted(lab: LabContext) -> None:
    capture = _capture(lab)
    if capture.plain:
        raise Fail(
            zh=(
                f"在 gw-b 的 wan 网卡上看到了未经隧道封装、直接以 VPC 地址转发的数据包（{'，'.join(capture.plain)}）："
                "网关在明文转发流量，而不是经过 VPN 隧道"
            ),
            en=(
                f"packets with VPC addresses crossed gw-b's wan interface unwrapped ({', '.join(capture.plain)}): "
                "the gateways forward the traffic in the clear instead of through the VPN tunnel"
            ),
        )
    _require_tunnel_traffic(lab, capture)
    expect(
        capture.marker == 0,
        zh=(
            f"host-a 的 ping 数据内容在 wan 上的 {capture.marker} 个数据包中以明文出现：隧道没有加密数据"
            "（检查两端的 data-ciphers / cipher 设置）"
        ),
        en=(
            f"the payload of host-a's pings was readable in {capture.marker} packets on the wan: the tunnel "
            "does not encrypt its data (check data-ciphers / cipher on both ends)"
        ),
    )


@check(
    id="tunnel-port",
    points=2,
    skills=["2.2.4"],
    title={
        "zh": "隧道使用 gw-b 上规划的 UDP 端口",
        "en": "the tunnel uses the planned UDP port on gw-b",
    },
)
def test_tunnel_port(lab: LabContext) -> None:
    port = int(lab.params["vpn_port"])
    capture = _capture(lab)
    _require_tunnel_traffic(lab, capture)
    gw_b = lab.address(GW_B, "wan")
    planned = [
        flow
        for flow in capture.flows
        if flow.proto == "udp"
        and ((flow.dst == gw_b and flow.dport == port) or (flow.src == gw_b and flow.sport == port))
    ]
    expect(
        sum(flow.packets for flow in planned) >= MIN_TUNNEL_PACKETS,
        zh=f"gw-a 与 gw-b 之间的隧道流量没有使用 gw-b 的 UDP {port} 端口；wan 上看到的是：{_flows_text(capture)}",
        en=f"the tunnel between gw-a and gw-b does not use UDP port {port} on gw-b; the wan carried: {_flows_text(capture)}",
    )


@check(
    id="tls-mode",
    points=3,
    skills=["2.2.4"],
    level="中级",
    title={
        "zh": "隧道以 TLS 证书方式运行（不是静态密钥）",
        "en": "the tunnel runs in TLS mode with certificates (not a static key)",
    },
)
def test_tls_mode(lab: LabContext) -> None:
    capture = _capture(lab)
    _require_tunnel_traffic(lab, capture)
    total = sum(flow.packets for flow in capture.flows)
    foreign = sum(n for flow in capture.flows for op, n in flow.opcodes.items() if op not in TLS_OPCODES)
    expect(
        foreign == 0,
        zh=(
            f"wan 上 {total} 个隧道数据包中有 {foreign} 个不是 OpenVPN TLS 模式的数据包格式："
            "隧道使用的是静态密钥（--secret）或其他协议，而不是 CA 签发的证书"
        ),
        en=(
            f"{foreign} of {total} tunnel packets on the wan are not OpenVPN TLS-mode packets: the tunnel uses "
            "a static key (--secret) or another protocol, not certificates signed by a CA"
        ),
    )


def _openvpn_units(lab: LabContext, gateway: str) -> list[str]:
    result = lab.host(gateway).run("systemctl list-units --type=service --state=running --no-legend --plain 'openvpn*'")
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


def _a_reaches_b_once(lab: LabContext) -> bool:
    return _ping(lab, HOST_A, lab.address(HOST_B, "vpc-b"), count=1)[1] > 0


def _restore_tunnel(lab: LabContext, restarted: str, units: dict[str, list[str]]) -> None:
    """After a failed recovery: start what ran on the restarted gateway, then restart the peer's tunnel."""
    other = GW_A if restarted == GW_B else GW_B
    stopped = [unit for unit in units[restarted] if lab.host(restarted).run(f"systemctl is-active {unit}").rc != 0]
    for unit in stopped:
        lab.host(restarted).run(f"systemctl start {unit}")
    if stopped and wait_until(lambda: _a_reaches_b_once(lab), timeout=RESTORE_BOUND / 2, interval=1.0):
        return
    for unit in units[other]:
        lab.host(other).run(f"systemctl restart {unit}")
    wait_until(lambda: _a_reaches_b_once(lab), timeout=RESTORE_BOUND, interval=1.0)


def _recovers_after_restart(lab: LabContext, gateway: str) -> None:
    sent, received = _ping(lab, HOST_A, lab.address(HOST_B, "vpc-b"))
    if received == 0:
        raise Fail(
            zh=f"重启 {gateway} 之前 host-a 就已经无法访问 host-b（发送 {sent} 个 ping，无回应），无法测试重启后的恢复",
            en=f"host-a could not reach host-b even before {gateway} was restarted ({sent} pings, no answer)",
        )
    units = {gw: _openvpn_units(lab, gw) for gw in GATEWAYS}
    recovered = False
    try:
        lab.restart(gateway)
        recovered = wait_until(lambda: _a_reaches_b_once(lab), timeout=RESTART_BOUND, interval=1.0)
        if not recovered:
            running = _openvpn_running(lab, gateway)
            zh_note = "" if running else f"；{gateway} 重启后没有 openvpn 进程（未设置开机自启？）"
            en_note = (
                "" if running else f"; no openvpn process runs on {gateway} after the restart (not enabled at boot?)"
            )
            raise Fail(
                zh=f"{gateway} 重启后 {RESTART_BOUND} 秒内，host-a 仍然无法访问 host-b{zh_note}",
                en=f"{RESTART_BOUND} s after {gateway} restarted, host-a still could not reach host-b{en_note}",
            )
    finally:
        if not recovered:
            _restore_tunnel(lab, gateway, units)


@check(
    id="recovers-after-gw-b-restart",
    points=3,
    skills=["2.2.4"],
    level="中级",
    title={
        "zh": "gw-b 重启后 30 秒内隧道自动恢复",
        "en": "the tunnel comes back within 30 s after gw-b restarts",
    },
)
def test_recovers_after_gw_b_restart(lab: LabContext) -> None:
    _recovers_after_restart(lab, GW_B)


@check(
    id="recovers-after-gw-a-restart",
    points=3,
    skills=["2.2.4"],
    level="中级",
    title={
        "zh": "gw-a 重启后 30 秒内隧道自动恢复",
        "en": "the tunnel comes back within 30 s after gw-a restarts",
    },
)
def test_recovers_after_gw_a_restart(lab: LabContext) -> None:
    _recovers_after_restart(lab, GW_A)
