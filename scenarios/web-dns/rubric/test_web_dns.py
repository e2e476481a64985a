"""Rubric of web-dns: an authoritative zone on dns, two HTTPS virtual hosts on web.

Every probe runs on the ``client`` host and crosses the lab network: ``dig`` asks the name
server on ``dns`` directly (no recursion, so only an authoritative answer counts), and ``curl``
connects to web's address with the site's name (``--resolve``), verifying the certificate
against the lab CA only (``--cacert``, never ``-k``). DNS and web checks are independent, so
a broken zone does not cost the web points and the other way round. Nothing here reads a
configuration file: any layout (one certificate or two, CNAME or A records, one redirect
server or one per site) that behaves correctly earns the points.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from cloudlab.grading.api import Fail, check, expect, wait_until
from cloudlab.grading.context import LabContext

CLIENT = "client"
DNS = "dns"
WEB = "web"
NETWORK = "lab"
CA_FILE = "/usr/local/share/ca-certificates/lab-ca.crt"
CURL_TIMEOUT = 5  # seconds for one request
REDIRECT_PATH = "/cloudlab/redirect-check.html"
REDIRECT_CODES = {301, 302, 303, 307, 308}
RESTART_BOUND = 15  # seconds the services have to answer again once dns and web finished booting
SERVICES = {DNS: "named", WEB: "nginx"}  # Debian's units, started again if a restart left them down


@dataclass(frozen=True)
class DnsAnswer:
    """What ``dig`` on the client got: ``status`` is empty when no server answered at all."""

    status: str
    flags: frozenset[str] = frozenset()
    records: tuple[tuple[str, str, str], ...] = field(default=())  # (owner, type, data)

    def values(self, rtype: str) -> list[str]:
        return [data for _, kind, data in self.records if kind == rtype]


@dataclass(frozen=True)
class HttpReply:
    """One curl result: ``error`` holds curl's own message when it got no HTTP answer."""

    code: int
    body: str
    location: str
    error: str


def _address(lab: LabContext, host: str) -> str:
    """The IPv4 address of ``host`` on the lab network."""
    return lab.address(host, NETWORK)


def _fqdn(lab: LabContext, label_param: str) -> str:
    return f"{lab.params[label_param]}.{lab.params['domain']}"


def _dig(lab: LabContext, name: str, rtype: str) -> DnsAnswer:
    """Ask the name server on dns (not recursively) for ``name``/``rtype``."""
    server = _address(lab, DNS)
    result = lab.host(CLIENT).run(
        f"dig @{server} +norec +time=2 +tries=2 +nocmd +noquestion +nostats +noauthority +noadditional "
        f"{shlex.quote(name)} {rtype}"
    )
    status = re.search(r"status: ([A-Z]+)", result.stdout)
    if status is None:
        return DnsAnswer(status="")
    flags = re.search(r";; flags: ([a-z ]*)[;:]", result.stdout)
    records = []
    for line in result.stdout.splitlines():
        parts = line.split(None, 4)
        if line.startswith(";") or len(parts) < 5:
            continue
        records.append((parts[0].lower(), parts[3].upper(), parts[4].strip()))
    return DnsAnswer(
        status=status.group(1),
        flags=frozenset(flags.group(1).split()) if flags else frozenset(),
        records=tuple(records),
    )


def _no_answer(name: str, rtype: str, answer: DnsAnswer) -> Fail:
    """The failure for a query that got no usable answer (no server, or an error status)."""
    if not answer.status:
        return Fail(
            zh=f"从 client 向 dns 查询 {name} 的 {rtype} 记录无响应：dns 的 53 端口没有 DNS 服务在应答",
            en=f"no answer from dns to a {rtype} query for {name} from the client: nothing answers DNS on port 53 of dns",
        )
    reasons = {
        "REFUSED": (
            "dns 拒绝回答（没有加载这个区域，或区域文件有错误未能加载）",
            "dns refused (no such zone is loaded, or its zone file failed to load)",
        ),
        "SERVFAIL": ("dns 返回 SERVFAIL（区域加载失败）", "dns returned SERVFAIL (the zone failed to load)"),
        "NXDOMAIN": ("dns 回答该名称不存在（NXDOMAIN）", "dns answered that the name does not exist (NXDOMAIN)"),
    }
    zh, en = reasons.get(answer.status, (f"dns 返回 {answer.status}", f"dns returned {answer.status}"))
    return Fail(zh=f"查询 {name} 的 {rtype} 记录：{zh}", en=f"{rtype} query for {name}: {en}")


def _addresses(answer: DnsAnswer) -> set[str]:
    found = set()
    for value in answer.values("A"):
        try:
            found.add(str(ipaddress.IPv4Address(value)))
        except ValueError:
            continue
    return found


def _curl(lab: LabContext, url: str, name: str, port: int, address: str) -> HttpReply:
    """One GET from the client to ``address`` with ``name`` as host (SNI, Host, certificate)."""
    command = (
        f"curl -sS --max-time {CURL_TIMEOUT} --cacert {CA_FILE} --resolve {shlex.quote(f'{name}:{port}:{address}')} "
        f"-w '\\n%{{http_code}} %{{redirect_url}}' {shlex.quote(url)}"
    )
    result = lab.host(CLIENT).run(command)
    body, _, tail = result.stdout.rpartition("\n")
    code, _, location = tail.partition(" ")
    error = result.stderr.strip().splitlines()[-1] if result.rc != 0 and result.stderr.strip() else ""
    if result.rc != 0 and not error:
        error = f"curl exit code {result.rc}"
    return HttpReply(int(code) if code.isdigit() else 0, body, location.strip(), error[:200])


@check(
    id="dns-zone-authoritative",
    points=2,
    skills=["1.2.4"],
    title={
        "zh": "dns 对实验域名提供权威解析（SOA 记录）",
        "en": "dns answers authoritatively for the lab domain (SOA record)",
    },
)
def test_dns_zone_authoritative(lab: LabContext) -> None:
    domain = str(lab.params["domain"])
    answer = _dig(lab, domain, "SOA")
    if answer.status != "NOERROR":
        raise _no_answer(domain, "SOA", answer)
    expect(
        answer.values("SOA"),
        zh=f"dns 对 {domain} 的 SOA 查询没有返回 SOA 记录",
        en=f"the SOA query for {domain} returned no SOA record",
    )
    expect(
        "aa" in answer.flags,
        zh=f"dns 对 {domain} 的回答不是权威回答（没有 aa 标志）：dns 应是该区域的主服务器",
        en=f"the answer for {domain} is not authoritative (no aa flag): dns must be the zone's primary server",
    )


@check(
    id="dns-ns-record",
    points=2,
    skills=["1.2.4"],
    title={
        "zh": "区域的 NS 记录为 ns1，且 ns1 解析到 dns 的地址",
        "en": "the zone's NS record is ns1, and ns1 resolves to the address of dns",
    },
)
def test_dns_ns_record(lab: LabContext) -> None:
    domain = str(lab.params["domain"])
    ns_name = f"ns1.{domain}"
    answer = _dig(lab, domain, "NS")
    if answer.status != "NOERROR":
        raise _no_answer(domain, "NS", answer)
    servers = [value.rstrip(".").lower() for value in answer.values("NS")]
    expect(
        ns_name in servers,
        zh=f"{domain} 的 NS 记录是 {'、'.join(servers) or '（无）'}，应包含 {ns_name}",
        en=f"the NS records of {domain} are {', '.join(servers) or '(none)'}; expected {ns_name} among them",
    )
    expected = _address(lab, DNS)
    glue = _dig(lab, ns_name, "A")
    if glue.status != "NOERROR":
        raise _no_answer(ns_name, "A", glue)
    found = _addresses(glue)
    expect(
        found == {expected},
        zh=f"{ns_name} 解析为 {'、'.join(sorted(found)) or '（无 A 记录）'}，应为 dns 的地址 {expected}",
        en=f"{ns_name} resolves to {', '.join(sorted(found)) or '(no A record)'}, expected the address of dns, {expected}",
    )


@check(
    id="dns-site-records",
    points=3,
    skills=["1.2.4"],
    title={
        "zh": "两个网站的域名都解析到 web 的地址",
        "en": "both site names resolve to the address of web",
    },
)
def test_dns_site_records(lab: LabContext) -> None:
    expected = _address(lab, WEB)
    for param in ("site_a", "site_b"):
        name = _fqdn(lab, param)
        answer = _dig(lab, name, "A")
        if answer.status != "NOERROR":
            raise _no_answer(name, "A", answer)
        found = _addresses(answer)
        expect(
            found == {expected},
            zh=f"{name} 解析为 {'、'.join(sorted(found)) or '（无 A 记录）'}，应为 web 的地址 {expected}",
            en=f"{name} resolves to {', '.join(sorted(found)) or '(no A record)'}, expected the address of web, {expected}",
        )


def _check_site(lab: LabContext, param: str, other_param: str) -> None:
    name, other = _fqdn(lab, param), _fqdn(lab, other_param)
    url = f"https://{name}/"
    reply = _curl(lab, url, name, 443, _address(lab, WEB))
    if reply.code == 0:
        raise Fail(
            zh=f"从 client 访问 {url}（web 的 443 端口，只信任实验 CA）失败：{reply.error}",
            en=f"{url} (port 443 of web, trusting only the lab CA) failed from the client: {reply.error}",
        )
    expect(
        reply.code == 200,
        zh=f"访问 {url} 收到 HTTP {reply.code}，应为 200",
        en=f"{url} answered HTTP {reply.code}, expected 200",
    )
    if other in reply.body:
        raise Fail(
            zh=f"访问 {url} 得到的是 {other} 的页面：两个虚拟主机没有按域名区分",
            en=f"{url} served the page of {other}: the virtual hosts are not told apart by name",
        )
    expect(
        name in reply.body,
        zh=f"{url} 返回的页面不是 /var/www/{name} 中该网站的页面：{reply.body.strip()[:80]!r}",
        en=f"{url} did not serve the site's page from /var/www/{name}: {reply.body.strip()[:80]!r}",
    )


@check(
    id="https-site-a",
    points=4,
    skills=["1.2.4"],
    title={
        "zh": "第一个网站通过 HTTPS 提供自己的页面，证书可由实验 CA 验证",
        "en": "the first site serves its own page over HTTPS with a certificate the lab CA verifies",
    },
)
def test_https_site_a(lab: LabContext) -> None:
    _check_site(lab, "site_a", "site_b")


@check(
    id="https-site-b",
    points=4,
    skills=["1.2.4"],
    title={
        "zh": "第二个网站通过 HTTPS 提供自己的页面，证书可由实验 CA 验证",
        "en": "the second site serves its own page over HTTPS with a certificate the lab CA verifies",
    },
)
def test_https_site_b(lab: LabContext) -> None:
    _check_site(lab, "site_b", "site_a")


@check(
    id="http-redirect",
    points=3,
    skills=["1.2.4"],
    title={
        "zh": "两个网站的 HTTP 访问都被重定向到同一地址的 HTTPS",
        "en": "plain HTTP to either site is redirected to the same address over HTTPS",
    },
)
def test_http_redirect(lab: LabContext) -> None:
    address = _address(lab, WEB)
    for param in ("site_a", "site_b"):
        name = _fqdn(lab, param)
        url = f"http://{name}{REDIRECT_PATH}"
        target = f"https://{name}{REDIRECT_PATH}"
        reply = _curl(lab, url, name, 80, address)
        if reply.code == 0:
            raise Fail(
                zh=f"从 client 访问 {url}（web 的 80 端口）失败：{reply.error}",
                en=f"{url} (port 80 of web) failed from the client: {reply.error}",
            )
        expect(
            reply.code in REDIRECT_CODES,
            zh=f"访问 {url} 收到 HTTP {reply.code}，应为重定向（301 或 302 等）到 {target}",
            en=f"{url} answered HTTP {reply.code}, expected a redirect (301, 302, ...) to {target}",
        )
        location = reply.location.replace(f"https://{name}:443/", f"https://{name}/", 1)
        expect(
            location == target,
            zh=f"{url} 重定向到 {reply.location or '（无 Location）'}，应为 {target}（同一域名、同一路径）",
            en=f"{url} redirects to {reply.location or '(no Location)'}, expected {target} (same name and path)",
        )


def _site_works(lab: LabContext, param: str) -> bool:
    name = _fqdn(lab, param)
    reply = _curl(lab, f"https://{name}/", name, 443, _address(lab, WEB))
    return reply.code == 200 and name in reply.body


def _redirect_works(lab: LabContext) -> bool:
    name = _fqdn(lab, "site_a")
    reply = _curl(lab, f"http://{name}{REDIRECT_PATH}", name, 80, _address(lab, WEB))
    return reply.code in REDIRECT_CODES


def _zone_works(lab: LabContext) -> bool:
    answer = _dig(lab, str(lab.params["domain"]), "SOA")
    return answer.status == "NOERROR" and "aa" in answer.flags


Probe = tuple[Callable[[LabContext], bool], str, str]  # (works now?, zh, en)


def _probes(lab: LabContext) -> dict[str, Probe]:
    """What the restart check looks at, with zh/en names for its failure reason."""
    domain, site_a, site_b = lab.params["domain"], _fqdn(lab, "site_a"), _fqdn(lab, "site_b")
    return {
        "zone": (_zone_works, f"dns 对 {domain} 的权威解析", f"the zone {domain} on dns"),
        "site_a": (lambda lab: _site_works(lab, "site_a"), f"https://{site_a}/", f"https://{site_a}/"),
        "site_b": (lambda lab: _site_works(lab, "site_b"), f"https://{site_b}/", f"https://{site_b}/"),
        "redirect": (_redirect_works, "HTTP 到 HTTPS 的重定向", "the HTTP-to-HTTPS redirect"),
    }


@check(
    id="services-survive-restart",
    points=2,
    skills=["1.2.4"],
    title={
        "zh": "dns 和 web 重启后，DNS 解析和网站仍然正常",
        "en": "DNS and the sites still work after dns and web restart",
    },
)
def test_services_survive_restart(lab: LabContext) -> None:
    probes = _probes(lab)
    before = {name for name, (works, _, _) in probes.items() if works(lab)}
    expect(
        before,
        zh="重启前 DNS 区域和两个网站都还不能正常访问，无法检查重启后的状态",
        en="neither the zone nor the sites work yet, so there is nothing to check across a restart",
    )
    running = {
        host: lab.host(host).run(f"systemctl is-active {unit}").stdout.strip() == "active"
        for host, unit in SERVICES.items()
    }
    after: list[set[str]] = [set()]
    try:
        for host in SERVICES:
            lab.restart(host)

        def all_back() -> bool:
            after[0] = {name for name in before if probes[name][0](lab)}
            return after[0] == before

        if not wait_until(all_back, timeout=RESTART_BOUND, interval=2.0):
            lost = sorted(before - after[0])
            raise Fail(
                zh=(
                    f"重启 dns 和 web 后 {RESTART_BOUND} 秒内，以下重启前正常的功能没有恢复："
                    f"{'、'.join(probes[name][1] for name in lost)}（服务是否设置了开机自启？）"
                ),
                en=(
                    f"{RESTART_BOUND} s after dns and web restarted, these worked before but not after: "
                    f"{', '.join(probes[name][2] for name in lost)} (are the services enabled at boot?)"
                ),
            )
    finally:
        # Leave the lab as the candidate had it: start what the restart left stopped.
        for host, unit in SERVICES.items():
            if running[host] and lab.host(host).run(f"systemctl is-active {unit}").stdout.strip() != "active":
                lab.host(host).run(f"systemctl start {unit}")
