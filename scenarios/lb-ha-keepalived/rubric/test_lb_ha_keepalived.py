"""Rubric of lb-ha-keepalived: lb1 and lb2 share a virtual IP (VRRP) in front of web1 and web2.

Every HTTP request is sent by curl on the ``client`` host, so it crosses the lab network the
way a user's request would. Failover is measured over time, not only by its end state: a
probe on the client requests ``http://VIP/`` every 0.5 s while the master's keepalived, its
HAProxy or the whole lb1 host is stopped, and the check counts the requests that failed.

Where the VIP sits is read from the load balancers' interfaces (``ip -4 -o addr``), never
from keepalived.conf: any VRRP setup (multicast or unicast, MASTER/BACKUP states, vrrp_script
or track_process, FAULT or weight) that behaves as the task sheet asks earns the points.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

from cloudlab.grading.api import Fail, check, expect, wait_until
from cloudlab.grading.context import LabContext
from cloudlab.grading.probes import HttpReply, http_get

MASTER, BACKUP = "lb1", "lb2"
BALANCERS = (MASTER, BACKUP)
CLIENT = "client"
BACKENDS = ("web1", "web2")
CURL_TIMEOUT = 5  # seconds for one request of a single check
SETTLE_BOUND = 30  # seconds the VIP may need to settle on lb1 (a 高级 preempt_delay is 10 s)
SPLIT_BOUND = 8  # seconds a split brain may last before a wait for the VIP on lb1 gives up
PRECONDITION_BOUND = 5  # seconds a failover check waits for the VIP to be on lb1 before it starts
FAILOVER_BOUND = 20  # seconds from the failure until the VIP must answer from lb2 again
MAX_FAILED = 10  # failed probe requests allowed during one switchover (the task sheet says so)
STREAK = 4  # consecutive good probe answers on lb2 that prove the service is back
REJOIN_BOUND = 10  # seconds after lb1 booted for its keepalived to run again
RETURN_BOUND = 30  # seconds after lb1 is back for it to hold the VIP again
QUICK_RETURN = 4  # seconds a check's clean-up gives lb1 to take the VIP back by itself …
RESTORE_BOUND = 40  # … and how long it waits after restarting keepalived on lb2
PREEMPT_DELAY = 10  # seconds lb1 waits before it takes the VIP back (高级, the task sheet's number)
PREEMPT_MIN = 8  # measured from `systemctl start keepalived` returning: 2 s of slack below the delay
PREEMPT_MAX = 30  # lb1 must have taken the VIP back by then
PROBE_INTERVAL = 0.5  # seconds between two probe requests
PROBE_LIMIT = 90  # the probe stops by itself after this many seconds, whatever happens
PROBE_UNIT = "cloudlab-vip-probe"
PROBE_LOG = "/run/cloudlab-vip-probe.log"


Text2 = tuple[str, str]  # the same words in zh and en


@dataclass(frozen=True)
class Sample:
    """One probe request: when it started (epoch seconds, the client's clock) and its status."""

    at: float
    code: int


def _vip(lab: LabContext) -> str:
    """Host number ``vip_host`` of the lab network: the address the task sheet names."""
    network = ipaddress.ip_network(lab.subnet("lab"), strict=False)
    return str(network.network_address + int(lab.params["vip_host"]))


def _get(lab: LabContext, url: str) -> HttpReply:
    return http_get(lab.host(CLIENT), url, timeout=CURL_TIMEOUT)


def _holds(lab: LabContext, host: str, vip: str) -> bool:
    """Whether ``host`` has the VIP on an interface (a stopped host holds nothing)."""
    try:
        result = lab.host(host).run("ip -4 -o addr show")
    except Exception:  # a stopped container cannot answer: it holds nothing
        return False
    return result.rc == 0 and f" {vip}/" in result.stdout


def _holders(lab: LabContext, vip: str) -> list[str]:
    return [host for host in BALANCERS if _holds(lab, host, vip)]


def _keepalived_runs(lab: LabContext, host: str) -> bool:
    return bool(lab.host(host).run("pgrep -x keepalived").rc == 0)


def _where(holders: list[str]) -> tuple[str, str]:
    """The VIP's place as zh/en words for a failure reason."""
    if not holders:
        return "lb1、lb2 上都没有该地址", "neither lb1 nor lb2 holds it"
    if len(holders) > 1:
        return "两台上同时都有该地址（lb1、lb2 脑裂）", "both lb1 and lb2 hold it (split brain)"
    return f"该地址在 {holders[0]} 上", f"it is on {holders[0]}"


def _wait_master(lab: LabContext, vip: str, bound: float) -> list[str]:
    """Wait until only lb1 holds the VIP; return the holders seen last.

    A split brain (both hold it) that lasts SPLIT_BOUND seconds ends the wait early: VRRP
    resolves a real election within about three advertisements, so it will not heal itself.
    """
    last: list[list[str]] = [[]]
    split_since: list[float | None] = [None]

    def settled() -> bool:
        last[0] = _holders(lab, vip)
        if len(last[0]) < len(BALANCERS):
            split_since[0] = None
        elif split_since[0] is None:
            split_since[0] = time.monotonic()
        elif time.monotonic() - split_since[0] >= SPLIT_BOUND:
            return True  # give up early; the caller sees both holders
        return last[0] == [MASTER]

    wait_until(settled, timeout=bound, interval=1.0)
    return last[0]


def _require_master(lab: LabContext, vip: str) -> None:
    """A failover check starts from a healthy pair: the VIP on lb1 alone."""
    holders = _holders(lab, vip)
    if holders != [MASTER] and (holders or _keepalived_runs(lab, MASTER)):
        holders = _wait_master(lab, vip, PRECONDITION_BOUND)  # it may be settling
    if holders != [MASTER]:
        zh, en = _where(holders)
        raise Fail(
            zh=f"测试开始前 VIP {vip} 应只在主节点 lb1 上，但实际上{zh}，无法进行故障切换测试",
            en=f"before the test the VIP {vip} must be on the master lb1 alone, but {en}; no failover to test",
        )


def _restore_master(lab: LabContext, vip: str) -> None:
    """After a check, give the VIP back to lb1 so the next check starts from a healthy pair.

    lb1 takes it back by itself when it preempts at once; with a preemption delay (高级) the
    check does not wait for it but restarts keepalived on lb2, which hands the VIP to lb1
    straight away (a priority-0 advertisement) and comes back as the backup.
    """
    if _wait_master(lab, vip, QUICK_RETURN) == [MASTER]:
        return
    if _holds(lab, BACKUP, vip):
        lab.host(BACKUP).run("systemctl restart keepalived")
    _wait_master(lab, vip, RESTORE_BOUND)


# -- the probe on the client -------------------------------------------------------------------
def _stop_probe(lab: LabContext) -> None:
    lab.host(CLIENT).run(f"systemctl stop {PROBE_UNIT} 2>/dev/null; systemctl reset-failed {PROBE_UNIT} 2>/dev/null")


def _start_probe(lab: LabContext, vip: str) -> None:
    """A bounded request loop on the client, one line per request: ``epoch status``."""
    _stop_probe(lab)
    loop = (
        f"end=$((SECONDS+{PROBE_LIMIT})); while [ $SECONDS -lt $end ]; do "
        "t=$(date +%s.%N); "
        f"c=$(curl -s -o /dev/null -w '%{{http_code}}' --connect-timeout 1 --max-time 1 http://{vip}/); "
        f'echo "$t $c" >> {PROBE_LOG}; sleep {PROBE_INTERVAL}; done'
    )
    lab.host(CLIENT).run(f"rm -f {PROBE_LOG}; systemd-run --quiet --collect --unit={PROBE_UNIT} bash -c %s", loop)


def _samples(lab: LabContext) -> list[Sample]:
    result = lab.host(CLIENT).run(f"cat {PROBE_LOG} 2>/dev/null")
    samples = []
    for line in result.stdout.splitlines():
        at, _, code = line.partition(" ")
        try:
            samples.append(Sample(float(at), int(code) if code.strip().isdigit() else 0))
        except ValueError:
            continue
    return samples


def _describe(samples: list[Sample]) -> tuple[str, str]:
    codes = [str(sample.code) if sample.code else "—" for sample in samples[-8:]]
    return "，".join(codes) or "无", ", ".join(codes) or "none"


def _failover(lab: LabContext, vip: str, what: Text2, fail_master: Callable[[], object]) -> None:
    """Probe the VIP, break the master with ``fail_master``, and judge the switchover to lb2.

    ``what`` names the failure in zh/en for the reasons (``lb1 的 keepalived 停止``).
    """
    zh_what, en_what = what
    _start_probe(lab, vip)
    if not wait_until(lambda: sum(s.code == 200 for s in _samples(lab)) >= 2, timeout=8, interval=0.5):
        zh, en = _describe(_samples(lab))
        raise Fail(
            zh=f"故障切换测试前，client 经 VIP {vip} 的请求就已失败（状态码：{zh}）",
            en=f"requests from the client to the VIP {vip} failed even before the failover test (status: {en})",
        )
    started = time.time()
    fail_master()
    moved = [False]

    def recovered() -> bool:
        moved[0] = moved[0] or _holds(lab, BACKUP, vip)
        after = [s for s in _samples(lab) if s.at >= started]
        return moved[0] and len(after) >= STREAK and all(s.code == 200 for s in after[-STREAK:])

    back = wait_until(recovered, timeout=FAILOVER_BOUND, interval=0.5)
    _stop_probe(lab)
    after = [s for s in _samples(lab) if s.at >= started]
    failed = sum(s.code != 200 for s in after)
    if not moved[0]:
        raise Fail(
            zh=f"{zh_what}后 {FAILOVER_BOUND} 秒内，VIP {vip} 没有漂移到 lb2",
            en=f"{FAILOVER_BOUND} s after {en_what}, the VIP {vip} had not moved to lb2",
        )
    if not back:
        zh, en = _describe(after)
        raise Fail(
            zh=f"{zh_what}后 VIP 已漂移到 lb2，但 {FAILOVER_BOUND} 秒内经 VIP 的访问仍未恢复（最近的状态码：{zh}）",
            en=(
                f"after {en_what} the VIP moved to lb2, but requests through it still failed "
                f"{FAILOVER_BOUND} s later (last status codes: {en})"
            ),
        )
    expect(
        failed <= MAX_FAILED,
        zh=f"{zh_what}后的切换过程中，client 每 {PROBE_INTERVAL} 秒一次的请求失败了 {failed} 次，最多允许 {MAX_FAILED} 次",
        en=(
            f"during the switchover after {en_what}, {failed} of the client's requests (one every "
            f"{PROBE_INTERVAL} s) failed; at most {MAX_FAILED} may fail"
        ),
    )


# -- checks ---------------------------------------------------------------------------------
@check(
    id="lb2-serves",
    points=2,
    skills=["1.2.6"],
    title={"zh": "lb2 的 80 端口也能提供网站服务", "en": "the web site also answers on port 80 of lb2"},
)
def test_lb2_serves(lab: LabContext) -> None:
    reply = _get(lab, "http://lb2/")
    if reply.code == 0:
        raise Fail(
            zh="从 client 访问 http://lb2/ 无响应（连接被拒绝或超时）",
            en="no answer from http://lb2/ on the client (connection refused or timed out)",
        )
    expect(
        reply.code == 200 and reply.body in BACKENDS,
        zh=f"从 client 访问 http://lb2/ 收到 HTTP {reply.code}，内容不是 web1 或 web2 的页面：{reply.body[:80]!r}",
        en=f"http://lb2/ gave HTTP {reply.code} and not the page of web1 or web2: {reply.body[:80]!r}",
    )


@check(
    id="keepalived-running",
    points=2,
    skills=["2.2.3"],
    title={"zh": "lb1 和 lb2 上都在运行 keepalived", "en": "keepalived runs on both lb1 and lb2"},
)
def test_keepalived_running(lab: LabContext) -> None:
    missing = [host for host in BALANCERS if not _keepalived_runs(lab, host)]
    expect(
        not missing,
        zh=f"{'、'.join(missing)} 上没有运行中的 keepalived 进程",
        en=f"no keepalived process runs on {', '.join(missing)}",
    )


@check(
    id="vip-answers",
    points=3,
    skills=["1.2.6", "2.2.3"],
    title={"zh": "通过虚拟 IP 可以访问网站", "en": "the web site answers on the virtual IP"},
)
def test_vip_answers(lab: LabContext) -> None:
    vip = _vip(lab)
    reply = _get(lab, f"http://{vip}/")
    if reply.code == 0:
        raise Fail(
            zh=f"从 client 访问 http://{vip}/ 无响应（没有主机持有该地址，或端口未开放）",
            en=f"no answer from http://{vip}/ on the client (no host holds the address, or the port is closed)",
        )
    expect(
        reply.code == 200 and reply.body in BACKENDS,
        zh=f"从 client 访问 http://{vip}/ 收到 HTTP {reply.code}，内容不是 web1 或 web2 的页面：{reply.body[:80]!r}",
        en=f"http://{vip}/ gave HTTP {reply.code} and not the page of web1 or web2: {reply.body[:80]!r}",
    )


@check(
    id="vip-on-lb1",
    points=2,
    skills=["2.2.3"],
    title={
        "zh": "两台都正常时，虚拟 IP 只在主节点 lb1 上",
        "en": "with both nodes healthy, only the master lb1 holds the virtual IP",
    },
)
def test_vip_on_lb1(lab: LabContext) -> None:
    vip = _vip(lab)
    if not _keepalived_runs(lab, MASTER) and not _holders(lab, vip):
        raise Fail(
            zh=f"lb1 上没有运行 keepalived，VIP {vip} 不在任何负载均衡器上",
            en=f"keepalived does not run on lb1 and no load balancer holds the VIP {vip}",
        )
    holders = _wait_master(lab, vip, SETTLE_BOUND)
    zh, en = _where(holders)
    expect(
        holders == [MASTER],
        zh=f"VIP {vip} 未能稳定在 lb1 上（最多等待 {SETTLE_BOUND} 秒）：{zh}，应只在 lb1 上",
        en=f"the VIP {vip} did not settle on lb1 alone (waited up to {SETTLE_BOUND} s): {en}",
    )


@check(
    id="failover-keepalived-stop",
    points=4,
    skills=["2.2.3"],
    title={
        "zh": f"停止 lb1 的 keepalived 后 VIP 漂移到 lb2，失败请求不超过 {MAX_FAILED} 次",
        "en": f"with keepalived stopped on lb1 the VIP moves to lb2, at most {MAX_FAILED} requests fail",
    },
)
def test_failover_keepalived_stop(lab: LabContext) -> None:
    vip = _vip(lab)
    _require_master(lab, vip)
    master = lab.host(MASTER)
    try:
        _failover(
            lab,
            vip,
            ("停止 lb1 的 keepalived ", "keepalived stopped on lb1"),
            lambda: master.run("systemctl stop keepalived"),
        )
    finally:
        _stop_probe(lab)
        master.run("systemctl start keepalived")
        _restore_master(lab, vip)


@check(
    id="failover-haproxy-down",
    points=4,
    skills=["2.2.3"],
    level="高级",
    title={
        "zh": f"lb1 的 HAProxy 停止后 VIP 漂移到 lb2，失败请求不超过 {MAX_FAILED} 次",
        "en": f"with HAProxy stopped on lb1 the VIP moves to lb2, at most {MAX_FAILED} requests fail",
    },
)
def test_failover_haproxy_down(lab: LabContext) -> None:
    vip = _vip(lab)
    _require_master(lab, vip)
    master = lab.host(MASTER)
    try:
        _failover(
            lab,
            vip,
            ("停止 lb1 的 HAProxy ", "HAProxy stopped on lb1"),
            lambda: master.run("systemctl stop haproxy"),
        )
    finally:
        _stop_probe(lab)
        master.run("systemctl start haproxy")
        _restore_master(lab, vip)


@check(
    id="preempt-delay",
    points=3,
    skills=["2.2.3"],
    level="高级",
    title={
        "zh": f"lb1 恢复后延迟抢占：{PREEMPT_DELAY} 秒后、{PREEMPT_MAX} 秒内收回 VIP",
        "en": f"lb1 takes the VIP back with a delay: after {PREEMPT_DELAY} s, within {PREEMPT_MAX} s",
    },
)
def test_preempt_delay(lab: LabContext) -> None:
    vip = _vip(lab)
    _require_master(lab, vip)
    master = lab.host(MASTER)
    try:
        master.run("systemctl stop keepalived")
        if not wait_until(lambda: _holds(lab, BACKUP, vip), timeout=FAILOVER_BOUND, interval=0.5):
            raise Fail(
                zh=f"停止 lb1 的 keepalived 后 {FAILOVER_BOUND} 秒内，VIP {vip} 没有漂移到 lb2",
                en=f"{FAILOVER_BOUND} s after keepalived stopped on lb1, the VIP {vip} had not moved to lb2",
            )
        master.run("systemctl start keepalived")
        started = time.monotonic()
        took = wait_until(lambda: _holds(lab, MASTER, vip), timeout=PREEMPT_MAX + 5, interval=0.5)
        seconds = time.monotonic() - started
        if not took:
            raise Fail(
                zh=f"lb1 的 keepalived 恢复运行 {PREEMPT_MAX + 5} 秒后仍未收回 VIP（未开启抢占？）",
                en=f"{PREEMPT_MAX + 5} s after keepalived started again on lb1, lb1 had not taken the VIP back (no preemption?)",
            )
        expect(
            seconds >= PREEMPT_MIN,
            zh=f"lb1 的 keepalived 恢复后仅 {seconds:.1f} 秒就收回了 VIP，应至少延迟 {PREEMPT_DELAY} 秒",
            en=f"lb1 took the VIP back {seconds:.1f} s after its keepalived started; it should wait {PREEMPT_DELAY} s",
        )
        expect(
            seconds <= PREEMPT_MAX,
            zh=f"lb1 的 keepalived 恢复后 {seconds:.1f} 秒才收回 VIP，应在 {PREEMPT_MAX} 秒内",
            en=f"lb1 took the VIP back only {seconds:.1f} s after its keepalived started; at most {PREEMPT_MAX} s",
        )
    finally:
        master.run("systemctl start keepalived")
        _restore_master(lab, vip)


@check(
    id="failover-node-down",
    points=4,
    skills=["2.2.3"],
    title={
        "zh": f"lb1 整机停机时 VIP 漂移到 lb2（失败请求不超过 {MAX_FAILED} 次），lb1 开机后重新接管",
        "en": f"with lb1 powered off the VIP moves to lb2 (at most {MAX_FAILED} requests fail); lb1 takes over again after boot",
    },
)
def test_failover_node_down(lab: LabContext) -> None:
    vip = _vip(lab)
    _require_master(lab, vip)
    down = [False]

    def power_off() -> None:
        down[0] = True
        lab.stop(MASTER)

    try:
        _failover(lab, vip, ("lb1 停机", "lb1 was powered off"), power_off)
        lab.start(MASTER)
        down[0] = False
        if not wait_until(lambda: _keepalived_runs(lab, MASTER), timeout=REJOIN_BOUND, interval=1.0):
            raise Fail(
                zh=f"lb1 重新开机 {REJOIN_BOUND} 秒后 keepalived 仍未运行（未设置开机自启？）",
                en=f"{REJOIN_BOUND} s after lb1 booted again, keepalived was still not running (not enabled at boot?)",
            )
        holders = _wait_master(lab, vip, RETURN_BOUND)
        zh, en = _where(holders)
        expect(
            holders == [MASTER],
            zh=f"lb1 重新开机后 {RETURN_BOUND} 秒内没有收回 VIP {vip}：{zh}",
            en=f"lb1 did not take the VIP {vip} back within {RETURN_BOUND} s of booting: {en}",
        )
    finally:
        _stop_probe(lab)
        if down[0]:
            lab.start(MASTER)
            _restore_master(lab, vip)
