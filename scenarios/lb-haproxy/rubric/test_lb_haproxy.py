"""Rubric of lb-haproxy: HAProxy on lb1 balancing web1 and web2, stats page behind a password.

Every HTTP request is sent by curl on the ``client`` host to ``lb1`` by name, so it crosses the
lab network the way a user's request would. Nothing here reads haproxy.cfg: any configuration
style that behaves correctly (one ``listen`` section, ``frontend``/``backend``, default
``balance``, TCP or HTTP health checks) earns the points.
"""

from __future__ import annotations

import shlex

from cloudlab.grading.api import Fail, check, expect, wait_until
from cloudlab.grading.context import LabContext
from cloudlab.grading.probes import HttpReply, http_get

LB = "lb1"
CLIENT = "client"
BACKENDS = ("web1", "web2")
FRONTEND_URL = f"http://{LB}/"
CURL_TIMEOUT = 5  # seconds for one request
FAILOVER_BOUND = 20  # seconds lb1 has to stop sending requests to a dead backend
FAILOVER_STREAK = 6  # consecutive good answers that prove the dead backend left the rotation
ROTATION_SETTLE = 10  # seconds for a freshly booted backend to rejoin the rotation
RECOVERY_BOUND = 40  # seconds to wait for web1 to come back after the failover check


def _curl_loop(lab: LabContext, url: str, count: int, *, stop_on_error: bool = False) -> list[HttpReply]:
    """Send ``count`` separate GET requests from the client in one shell call (one docker exec)."""
    stop = '[ "$code" = 200 ] || break' if stop_on_error else ":"
    script = (
        f"for i in $(seq {count}); do "
        f"body=$(curl -s --max-time {CURL_TIMEOUT} -w '\\n%{{http_code}}' {shlex.quote(url)}); "
        "code=${body##*$'\\n'}; body=${body%$'\\n'*}; "
        "printf '%s\\t%s\\n' \"$code\" \"$(printf %s \"$body\" | head -c 200 | tr '\\t\\n' '  ')\"; "
        f"{stop}; done"
    )
    result = lab.host(CLIENT).run("bash -c %s", script)
    replies = []
    for line in result.stdout.splitlines():
        code, _, body = line.partition("\t")
        replies.append(HttpReply(int(code) if code.isdigit() else 0, body.strip()))
    return replies


def _get(lab: LabContext, url: str, user: str | None = None, password: str | None = None) -> HttpReply:
    """One GET from the client; with ``user`` it sends HTTP basic-auth credentials."""
    auth = ("-u", f"{user}:{password}") if user is not None else ()
    return http_get(lab.host(CLIENT), url, *auth, timeout=CURL_TIMEOUT)


def _describe(replies: list[HttpReply]) -> tuple[str, str]:
    """The answers as a short zh/en list for a failure reason: ``200 web1, 503, 无响应``."""
    zh, en = [], []
    for reply in replies:
        if reply.code == 0:
            zh.append("无响应")
            en.append("no answer")
        else:
            text = f"{reply.code} {reply.body}".strip() if reply.code == 200 else str(reply.code)
            zh.append(text)
            en.append(text)
    return "，".join(zh) or "无", ", ".join(en) or "none"


def _stats_url(lab: LabContext) -> str:
    return f"http://{LB}:{int(lab.params.get('stats_port', 8404))}/stats"


def _service_state(lab: LabContext, host: str, unit: str) -> str:
    return lab.host(host).run(f"systemctl is-active {unit}").stdout.strip() or "unknown"


@check(
    id="haproxy-running",
    points=2,
    skills=["1.2.6"],
    title={"zh": "lb1 上 HAProxy 服务正在运行", "en": "HAProxy is running on lb1"},
)
def test_haproxy_running(lab: LabContext) -> None:
    host = lab.host(LB)
    expect(
        host.exists("haproxy"),
        zh="lb1 上没有找到 haproxy 命令：HAProxy 未安装",
        en="no haproxy command on lb1: HAProxy is not installed",
    )
    state = _service_state(lab, LB, "haproxy")
    expect(
        state == "active",
        zh=f"haproxy 服务状态为 {state}，不是 active",
        en=f"the haproxy service is {state}, not active",
    )


@check(
    id="haproxy-enabled",
    points=2,
    skills=["1.2.6"],
    title={"zh": "HAProxy 设置为开机自启", "en": "HAProxy starts at boot"},
)
def test_haproxy_enabled(lab: LabContext) -> None:
    result = lab.host(LB).run("systemctl is-enabled haproxy")
    state = result.stdout.strip() or "not-found"
    expect(
        result.rc == 0 and state == "enabled",
        zh=f"systemctl is-enabled haproxy 返回 {state}，不是 enabled",
        en=f"systemctl is-enabled haproxy says {state}, not enabled",
    )


@check(
    id="haproxy-config-valid",
    points=1,
    skills=["1.2.6"],
    title={"zh": "HAProxy 配置文件语法正确", "en": "the HAProxy configuration is valid"},
)
def test_haproxy_config_valid(lab: LabContext) -> None:
    host = lab.host(LB)
    expect(
        host.exists("haproxy"),
        zh="lb1 上没有找到 haproxy 命令：HAProxy 未安装",
        en="no haproxy command on lb1: HAProxy is not installed",
    )
    result = host.run("haproxy -c -f /etc/haproxy/haproxy.cfg 2>&1")
    if result.rc != 0:
        lines = result.stdout.strip().splitlines()
        alerts = [line for line in lines if "ALERT" in line] or lines[-1:] or ["(no output)"]
        first = alerts[0]
        raise Fail(
            zh=f"haproxy -c -f /etc/haproxy/haproxy.cfg 退出码为 {result.rc}：{first[:200]}",
            en=f"haproxy -c -f /etc/haproxy/haproxy.cfg exited with {result.rc}: {first[:200]}",
        )


@check(
    id="lb-answers",
    points=3,
    skills=["1.2.6"],
    title={
        "zh": "通过 lb1 的 80 端口可以访问网站",
        "en": "the web site answers through port 80 of lb1",
    },
)
def test_lb_answers(lab: LabContext) -> None:
    reply = _get(lab, FRONTEND_URL)
    if reply.code == 0:
        raise Fail(
            zh=f"从 client 访问 {FRONTEND_URL} 无响应（连接被拒绝或超时）",
            en=f"no answer from {FRONTEND_URL} on the client (connection refused or timed out)",
        )
    expect(
        reply.code == 200,
        zh=f"从 client 访问 {FRONTEND_URL} 收到 HTTP {reply.code}，应为 200",
        en=f"got HTTP {reply.code} from {FRONTEND_URL} on the client, expected 200",
    )
    expect(
        reply.body.strip() in BACKENDS,
        zh=f"{FRONTEND_URL} 返回的内容不是 web1 或 web2 的页面：{reply.body.strip()[:80]!r}",
        en=f"{FRONTEND_URL} did not serve the page of web1 or web2: {reply.body.strip()[:80]!r}",
    )


# A backend that just (re)booted stays out of the rotation until HAProxy's health checks pass
# again (rise x inter, 4 s by default): the check is retried that long before it fails.
@check(
    id="lb-round-robin",
    points=3,
    skills=["1.2.6", "2.2.3"],
    title={
        "zh": "请求被轮流分发到 web1 和 web2",
        "en": "requests are shared between web1 and web2",
    },
    wait=ROTATION_SETTLE,
)
def test_lb_round_robin(lab: LabContext) -> None:
    replies = _curl_loop(lab, FRONTEND_URL, 6)
    seen = {reply.body for reply in replies if reply.code == 200}
    missing = [name for name in BACKENDS if name not in seen]
    if missing:
        zh_list, en_list = _describe(replies)
        down = [name for name in missing if _get(lab, f"http://{name}/").code != 200]
        zh_note = f"（{'、'.join(down)} 本身也无法访问）" if down else ""
        en_note = f" ({', '.join(down)} itself does not answer either)" if down else ""
        raise Fail(
            zh=f"连续 6 次请求没有到达 {'、'.join(missing)}{zh_note}；收到：{zh_list}",
            en=f"6 consecutive requests never reached {', '.join(missing)}{en_note}; got: {en_list}",
        )


@check(
    id="stats-requires-auth",
    points=2,
    skills=["1.2.6"],
    title={
        "zh": "统计页面未提供密码时拒绝访问",
        "en": "the stats page refuses requests without credentials",
    },
)
def test_stats_requires_auth(lab: LabContext) -> None:
    url = _stats_url(lab)
    reply = _get(lab, url)
    if reply.code == 0:
        raise Fail(
            zh=f"从 client 访问 {url} 无响应（连接被拒绝或超时）",
            en=f"no answer from {url} on the client (connection refused or timed out)",
        )
    expect(
        reply.code == 401,
        zh=f"不带用户名和密码访问 {url} 收到 HTTP {reply.code}，应为 401",
        en=f"{url} without credentials gave HTTP {reply.code}, expected 401",
    )


@check(
    id="stats-accepts-credentials",
    points=2,
    skills=["1.2.6"],
    title={
        "zh": "使用任务单中的用户名和密码可以打开统计页面",
        "en": "the task sheet's user and password open the stats page",
    },
)
def test_stats_accepts_credentials(lab: LabContext) -> None:
    url = _stats_url(lab)
    user = str(lab.params["stats_user"])
    reply = _get(lab, url, user=user, password=str(lab.params["stats_password"]))
    if reply.code == 0:
        raise Fail(
            zh=f"从 client 访问 {url} 无响应（连接被拒绝或超时）",
            en=f"no answer from {url} on the client (connection refused or timed out)",
        )
    expect(
        reply.code == 200,
        zh=f"以用户 {user} 访问 {url} 收到 HTTP {reply.code}，应为 200",
        en=f"{url} as user {user} gave HTTP {reply.code}, expected 200",
    )
    expect(
        "statistics report" in reply.body.lower(),
        zh=f"{url} 返回了 200，但内容不是 HAProxy 统计页面",
        en=f"{url} answered 200 but the page is not the HAProxy statistics report",
    )


@check(
    id="lb-failover",
    points=3,
    skills=["2.2.3"],
    title={
        "zh": "web1 停止后，请求在 20 秒内全部由 web2 处理",
        "en": "with web1 down, all requests are served by web2 within 20 s",
    },
)
def test_lb_failover(lab: LabContext) -> None:
    web1 = lab.host("web1")
    before = _curl_loop(lab, FRONTEND_URL, 4)
    if not any(reply.code == 200 for reply in before):
        zh_list, en_list = _describe(before)
        raise Fail(
            zh=f"故障切换测试前 {FRONTEND_URL} 已无法正常访问；收到：{zh_list}",
            en=f"{FRONTEND_URL} did not work even before web1 was stopped; got: {en_list}",
        )
    last: list[list[HttpReply]] = [[]]
    try:
        web1.run("systemctl stop nginx")

        def streak() -> bool:
            last[0] = _curl_loop(lab, FRONTEND_URL, FAILOVER_STREAK, stop_on_error=True)
            return len(last[0]) == FAILOVER_STREAK and all(r.code == 200 for r in last[0])

        if not wait_until(streak, timeout=FAILOVER_BOUND, interval=1.0):
            zh_list, en_list = _describe(last[0])
            raise Fail(
                zh=(f"停止 web1 的 nginx 后 {FAILOVER_BOUND} 秒内，经 lb1 的请求仍有失败（最后一轮：{zh_list}）"),
                en=(
                    f"{FAILOVER_BOUND} s after nginx stopped on web1, requests through lb1 still "
                    f"failed (last round: {en_list})"
                ),
            )
    finally:
        web1.run("systemctl start nginx")
        if any(reply.body == "web1" for reply in before):
            # Give web1 back to the rotation (health checks need a few seconds to see it), so
            # the lab is left as the candidate had it.
            wait_until(
                lambda: any(r.body == "web1" for r in _curl_loop(lab, FRONTEND_URL, 4)),
                timeout=RECOVERY_BOUND,
                interval=1.0,
            )
