"""Rubric of app-three-tier: WordPress on web1 (nginx + PHP-FPM), its database on db1 (MariaDB).

Web checks send HTTP from the ``client`` host to ``web1`` by name, as a visitor would. Database
checks log in to MariaDB on ``db1`` over the network from ``web1`` with the account of the task
sheet, the way WordPress does. Nothing here reads a configuration file: any setup that behaves
correctly (another nginx layout, a TCP PHP-FPM pool, a firewall instead of a host-bound account)
earns the points.

The intermediate level adds the least-privilege account checks and a restart of both hosts;
the restart check comes last, because it changes what later checks would see.
"""

from __future__ import annotations

import json
import re
import shlex
import urllib.parse
from dataclasses import dataclass

from cloudlab.grading.api import Fail, check, expect, wait_until
from cloudlab.grading.context import LabContext

WEB = "web1"
DB = "db1"
CLIENT = "client"
SITE = f"http://{WEB}"
TABLES = ("wp_options", "wp_posts", "wp_users")
CURL_TIMEOUT = 10  # seconds for one HTTP request (the first page after a restart is slow)
SQL_TIMEOUT = 5  # seconds to connect to MariaDB
RESTART_BOUND = 20  # seconds the site has to serve the post again once both hosts finished booting


@dataclass(frozen=True)
class Reply:
    """One HTTP answer as curl saw it (``code`` 0: no HTTP answer at all).

    ``location`` is the redirect target of the last answer, ``final`` the URL that answered
    (after the redirects curl followed, if asked to).
    """

    code: int
    body: str
    location: str = ""
    final: str = ""


@dataclass(frozen=True)
class Sql:
    """One MariaDB client run: exit code, rows (tab-separated lines) and the error line."""

    rc: int
    rows: list[list[str]]
    error: str

    @property
    def ok(self) -> bool:
        return self.rc == 0


def _curl(lab: LabContext, url: str, *options: str, follow: bool = True) -> Reply:
    """One HTTP request from the client; ``options`` are extra curl arguments.

    With ``follow`` curl follows up to 3 redirects, so a site whose address was stored as
    ``http://web1:80`` (same site, other spelling) is not failed for its canonical redirect.
    """
    extra = " ".join(shlex.quote(option) for option in options)
    redirects = "-L --max-redirs 3 " if follow else ""
    command = (
        f"rm -f /tmp/cloudlab-body; curl -s --max-time {CURL_TIMEOUT} {redirects}{extra} -o /tmp/cloudlab-body "
        f"-w '%{{http_code}}\\t%{{redirect_url}}\\t%{{url_effective}}' {shlex.quote(url)}; "
        "echo; cat /tmp/cloudlab-body 2>/dev/null"
    )
    result = lab.host(CLIENT).run("bash -c %s", command)
    head, _, body = result.stdout.partition("\n")
    code, location, final = [*head.split("\t"), "", ""][:3]
    return Reply(int(code) if code.strip().isdigit() else 0, body, location.strip(), final.strip())


def _sql(lab: LabContext, query: str, *, host: str = WEB, database: bool = True) -> Sql:
    """Run ``query`` on db1 from ``host`` as the task sheet's account (batch mode, no headers)."""
    params = lab.params
    client = lab.host(host)
    if not client.exists("mysql") and not client.exists("mariadb"):
        return Sql(127, [], f"no mysql/mariadb client on {host}")
    program = "mariadb" if client.exists("mariadb") else "mysql"
    db = f" {shlex.quote(str(params['db_name']))}" if database else ""
    result = client.run(
        f"MYSQL_PWD={shlex.quote(str(params['db_password']))} {program} --connect-timeout={SQL_TIMEOUT} "
        f"-h {DB} -u {shlex.quote(str(params['db_user']))} -N -B -e {shlex.quote(query)}{db}"
    )
    rows = [line.split("\t") for line in result.stdout.splitlines() if line]
    error = next((line for line in result.stderr.splitlines() if line.strip()), "")
    return Sql(result.rc, rows, error.strip()[:200])


def _sql_problem(result: Sql, host: str = WEB) -> tuple[str, str]:
    """A zh/en reason for a failed login, from the MariaDB error code in the client's message."""
    error = result.error or f"exit code {result.rc}"
    if result.rc == 127:
        return (
            f"{host} 上没有 mysql/mariadb 客户端（安装 WordPress 软件包时会一并安装）",
            f"there is no mysql/mariadb client on {host} (the WordPress package brings one)",
        )
    code = re.search(r"ERROR (\d+)", error)
    number = code.group(1) if code else ""
    if number in {"2002", "2003", "2005"}:
        return (
            f"从 {host} 连接 {DB}:3306 失败（MariaDB 未运行、只监听本机地址或端口被拦截）：{error}",
            f"{host} cannot connect to {DB}:3306 (MariaDB not running, listening on localhost only, or blocked): {error}",
        )
    if number == "1130":
        return (
            f"MariaDB 不允许从 {host} 登录该账号（账号的主机部分不匹配）：{error}",
            f"MariaDB does not accept the account from {host} (the account's host part does not match): {error}",
        )
    if number == "1045":
        return (
            f"账号或密码被拒绝（账号不存在、主机不匹配或密码错误）：{error}",
            f"the account or password was refused (no such account, wrong host or wrong password): {error}",
        )
    if number in {"1044", "1049"}:
        return (
            f"登录成功，但无法使用任务单中的数据库（不存在或没有权限）：{error}",
            f"the login works, but the task sheet's database is missing or not granted: {error}",
        )
    return (
        f"从 {host} 登录 {DB} 上的 MariaDB 失败：{error}",
        f"logging in to MariaDB on {DB} from {host} failed: {error}",
    )


def _page_problem(reply: Reply, url: str) -> tuple[str, str] | None:
    """Why ``reply`` is not a rendered WordPress page, or None when it is one."""
    body = reply.body
    if reply.code == 0:
        return (
            f"从 client 访问 {url} 无响应（连接被拒绝或超时）",
            f"no answer from {url} on the client (connection refused or timed out)",
        )
    if "Error establishing a database connection" in body:
        return (
            f"{url} 返回 HTTP {reply.code}：WordPress 无法连接数据库（Error establishing a database connection）",
            f"{url} gave HTTP {reply.code}: WordPress cannot reach its database (Error establishing a database connection)",
        )
    missing = re.search(r"/etc/wordpress/config-[^<\s]*\.php", body) if "could be found" in body else None
    if missing:
        # The file name follows the host name of the request; a redirect can change it.
        via = f"（跳转到 {reply.final}）" if reply.final and reply.final != url else ""
        en_via = f" (redirected to {reply.final})" if reply.final and reply.final != url else ""
        return (
            f"{url}{via} 返回 HTTP {reply.code}：Debian 的 WordPress 找不到配置文件 {missing.group(0)}",
            f"{url}{en_via} gave HTTP {reply.code}: Debian's WordPress finds no configuration file {missing.group(0)}",
        )
    installer = next((u for u in (reply.location, reply.final) if "wp-admin/install.php" in u), "")
    if installer and installer != url:
        return (
            f"{url} 跳转到了安装页面（{installer}）：WordPress 尚未完成安装",
            f"{url} redirects to the installer ({installer}): WordPress is not installed yet",
        )
    if reply.code in {502, 503, 504}:
        return (
            f"{url} 返回 HTTP {reply.code}：nginx 无法把请求交给 PHP-FPM 处理",
            f"{url} gave HTTP {reply.code}: nginx cannot hand the request to PHP-FPM",
        )
    if "<?php" in body:
        return (
            f"{url} 返回了 PHP 源代码而不是执行结果：nginx 没有把 .php 请求交给 PHP-FPM",
            f"{url} returned PHP source code instead of running it: nginx does not pass .php to PHP-FPM",
        )
    if reply.code != 200:
        location = f"，跳转到 {reply.location}" if reply.location else ""
        en_location = f", redirecting to {reply.location}" if reply.location else ""
        return (
            f"从 client 访问 {url} 收到 HTTP {reply.code}{location}，应为 200",
            f"got HTTP {reply.code} from {url} on the client{en_location}, expected 200",
        )
    if 'content="WordPress' not in body:
        return (
            f"{url} 返回了 200，但页面不是 WordPress 生成的：{body.strip()[:80]!r}",
            f"{url} answered 200 but the page is not made by WordPress: {body.strip()[:80]!r}",
        )
    return None


def _site_page(lab: LabContext) -> Reply:
    """The front page; fails the check with the reason when it is not a WordPress page."""
    url = f"{SITE}/"
    reply = _curl(lab, url)
    problem = _page_problem(reply, url)
    if problem is not None:
        raise Fail(zh=problem[0], en=problem[1])
    return reply


def _published_titles(lab: LabContext, title: str) -> tuple[Reply, list[str]]:
    """Titles of published posts that match ``title`` in WordPress's search (REST API)."""
    query = urllib.parse.urlencode({"rest_route": "/wp/v2/posts", "search": title, "_fields": "title"})
    reply = _curl(lab, f"{SITE}/?{query}")
    try:
        posts = json.loads(reply.body) if reply.code == 200 else []
    except ValueError:
        posts = []
    titles = [str(post.get("title", {}).get("rendered", "")) for post in posts if isinstance(post, dict)]
    return reply, titles


def _post_in_database(lab: LabContext, title: str) -> Sql:
    escaped = title.replace("\\", "\\\\").replace("'", "\\'")
    return _sql(
        lab,
        "SELECT COUNT(*) FROM wp_posts WHERE post_type = 'post' AND post_status = 'publish' "
        f"AND post_title = '{escaped}'",
    )


def _require_login(lab: LabContext) -> None:
    result = _sql(lab, "SELECT 1")
    if not result.ok:
        zh, en = _sql_problem(result)
        raise Fail(zh=zh, en=en)


@check(
    id="db-remote-login",
    points=3,
    skills=["3.3.1"],
    title={
        "zh": "web1 能用任务单中的账号通过网络登录 db1 上的数据库",
        "en": "web1 logs in to the database on db1 over the network with the task sheet's account",
    },
)
def test_db_remote_login(lab: LabContext) -> None:
    result = _sql(lab, "SELECT DATABASE()")
    if not result.ok:
        zh, en = _sql_problem(result)
        raise Fail(zh=zh, en=en)
    current = result.rows[0][0] if result.rows else ""
    expect(
        current == str(lab.params["db_name"]),
        zh=f"登录成功，但当前数据库是 {current!r}，不是 {lab.params['db_name']!r}",
        en=f"the login works, but the current database is {current!r}, not {lab.params['db_name']!r}",
    )


@check(
    id="site-answers",
    points=3,
    skills=["1.2.5"],
    title={
        "zh": "从 client 访问 http://web1/ 得到 WordPress 页面",
        "en": "http://web1/ serves a WordPress page to the client",
    },
)
def test_site_answers(lab: LabContext) -> None:
    _site_page(lab)


@check(
    id="site-title",
    points=2,
    skills=["1.2.5"],
    title={"zh": "站点标题与任务单一致", "en": "the site title is the task sheet's"},
)
def test_site_title(lab: LabContext) -> None:
    reply = _site_page(lab)
    match = re.search(r"<title>(.*?)</title>", reply.body, re.S)
    found = match.group(1).strip() if match else ""
    wanted = str(lab.params["site_title"])
    expect(
        found.startswith(wanted),
        zh=f"首页标题是 {found[:80]!r}，应为 {wanted!r}",
        en=f"the front page title is {found[:80]!r}, expected {wanted!r}",
    )


@check(
    id="tables-in-remote-db",
    points=3,
    skills=["3.3.1", "1.2.5"],
    title={
        "zh": "站点的数据表位于 db1 上任务单指定的数据库中",
        "en": "the site's tables live in the task sheet's database on db1",
    },
)
def test_tables_in_remote_db(lab: LabContext) -> None:
    _require_login(lab)
    tables = {row[0] for row in _sql(lab, "SHOW TABLES").rows}
    missing = [table for table in TABLES if table not in tables]
    expect(
        not missing,
        zh=f"db1 的数据库 {lab.params['db_name']} 中没有 WordPress 数据表 {'、'.join(missing)}（站点尚未安装，或表建在了别处）",
        en=f"database {lab.params['db_name']} on db1 has no WordPress table {', '.join(missing)} "
        "(the site is not installed, or its tables are elsewhere)",
    )
    blogname = _sql(lab, "SELECT option_value FROM wp_options WHERE option_name = 'blogname'").rows
    found = blogname[0][0] if blogname else ""
    wanted = str(lab.params["site_title"])
    expect(
        found == wanted,
        zh=f"db1 上数据库中记录的站点标题是 {found!r}，应为 {wanted!r}",
        en=f"the site title stored in the database on db1 is {found!r}, expected {wanted!r}",
    )


@check(
    id="admin-login",
    points=2,
    skills=["1.2.5"],
    title={
        "zh": "任务单中的管理员账号可以登录 WordPress 后台",
        "en": "the task sheet's administrator logs in to WordPress",
    },
)
def test_admin_login(lab: LabContext) -> None:
    url = f"{SITE}/wp-login.php"
    user = str(lab.params["admin_user"])
    reply = _curl(
        lab,
        url,
        "-b",
        "wordpress_test_cookie=WP%20Cookie%20check",
        "--data-urlencode",
        f"log={user}",
        "--data-urlencode",
        f"pwd={lab.params['admin_password']}",
        "-d",
        "testcookie=1",
        follow=False,
    )
    if reply.code == 0:
        raise Fail(
            zh=f"从 client 访问 {url} 无响应（连接被拒绝或超时）",
            en=f"no answer from {url} on the client (connection refused or timed out)",
        )
    logged_in = reply.code == 302 and "wp-admin" in reply.location
    if not logged_in:
        problem = _page_problem(reply, url)
        if problem is not None and reply.code != 200:
            raise Fail(zh=problem[0], en=problem[1])
        raise Fail(
            zh=f"以 {user} 登录 {url} 未成功（HTTP {reply.code}）：用户名或密码与任务单不符",
            en=f"logging in to {url} as {user} did not work (HTTP {reply.code}): wrong user or password",
        )


@check(
    id="post-published",
    points=3,
    skills=["1.2.5"],
    title={
        "zh": "任务单中的文章已发布：client 能看到，且保存在 db1 上",
        "en": "the task sheet's post is published: the client sees it and db1 stores it",
    },
)
def test_post_published(lab: LabContext) -> None:
    title = str(lab.params["post_title"])
    _site_page(lab)
    reply, titles = _published_titles(lab, title)
    expect(
        title in titles,
        zh=f"通过 {SITE} 搜索不到已发布的文章《{title}》（HTTP {reply.code}，找到：{titles[:3] or '无'}）",
        en=f"searching {SITE} finds no published post {title!r} (HTTP {reply.code}, found: {titles[:3] or 'none'})",
    )
    _require_login(lab)
    stored = _post_in_database(lab, title)
    count = int(stored.rows[0][0]) if stored.ok and stored.rows else 0
    expect(
        count > 0,
        zh=f"站点显示了文章《{title}》，但 db1 上数据库 {lab.params['db_name']} 的 wp_posts 表中没有它",
        en=f"the site shows the post {title!r}, but table wp_posts of database {lab.params['db_name']} on db1 lacks it",
    )


@check(
    id="db-user-scope",
    points=2,
    skills=["3.3.1"],
    level="中级",
    title={
        "zh": "数据库账号只拥有任务单中数据库的权限",
        "en": "the database account holds privileges on the task sheet's database only",
    },
)
def test_db_user_scope(lab: LabContext) -> None:
    _require_login(lab)
    wanted = str(lab.params["db_name"])
    databases = {row[0] for row in _sql(lab, "SHOW DATABASES", database=False).rows}
    others = sorted(databases - {wanted, "information_schema"})
    expect(
        not others,
        zh=f"该账号还能看到其他数据库：{'、'.join(others)}",
        en=f"the account also sees other databases: {', '.join(others)}",
    )
    global_privileges = {
        row[0]
        for row in _sql(lab, "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES", database=False).rows
    } - {"USAGE"}
    expect(
        not global_privileges,
        zh=f"该账号拥有全局权限（ON *.*）：{'、'.join(sorted(global_privileges))}",
        en=f"the account holds global privileges (ON *.*): {', '.join(sorted(global_privileges))}",
    )


@check(
    id="db-user-host",
    points=2,
    skills=["3.3.1"],
    level="中级",
    title={
        "zh": "数据库账号只能从 web1 登录，client 登录被拒绝",
        "en": "the database account works from web1 only; the client is refused",
    },
)
def test_db_user_host(lab: LabContext) -> None:
    _require_login(lab)
    result = _sql(lab, "SELECT CURRENT_USER()", host=CLIENT, database=False)
    if result.rc == 127:
        raise Fail(
            zh="client 上没有 mysql/mariadb 客户端，无法测试（实验环境初始就已安装，请勿卸载）",
            en="there is no mysql/mariadb client on the client, so nothing can be tested (the lab ships it; keep it)",
        )
    account = result.rows[0][0] if result.ok and result.rows else ""
    expect(
        not result.ok,
        zh=f"从 client 也能以 {lab.params['db_user']} 登录 db1（匹配的账号是 {account}），应只允许 web1",
        en=f"the client logs in to db1 as {lab.params['db_user']} too (matched account {account}); only web1 may",
    )


def _service_states(lab: LabContext) -> tuple[str, str]:
    """``mariadb: active, nginx: active, php8.2-fpm: inactive`` after a restart, for a reason."""
    script = "for u in $(systemctl list-units --all --plain --no-legend 'php*-fpm.service' | awk '{print $1}'); do echo $u; done"
    fpm = lab.host(WEB).run("bash -c %s", script).stdout.split() or ["php-fpm.service"]
    states = []
    for host, unit in [(DB, "mariadb.service"), (WEB, "nginx.service"), *((WEB, name) for name in fpm)]:
        state = lab.host(host).run(f"systemctl is-active {shlex.quote(unit)}").stdout.strip() or "unknown"
        states.append(f"{host} {unit.removesuffix('.service')}: {state}")
    text = ", ".join(states)
    return text, text


@check(
    id="survives-restart",
    points=4,
    skills=["1.2.5", "3.3.1"],
    level="中级",
    title={
        "zh": f"重启 db1 和 web1，启动完成后 {RESTART_BOUND} 秒内站点和文章恢复访问",
        "en": f"after db1 and web1 restart and boot, the site serves the post again within {RESTART_BOUND} s",
    },
)
def test_survives_restart(lab: LabContext) -> None:
    title = str(lab.params["post_title"])
    stored = _post_in_database(lab, title)
    if not (stored.ok and stored.rows and int(stored.rows[0][0]) > 0):
        raise Fail(
            zh=f"重启前 db1 上就没有已发布的文章《{title}》（或无法从 web1 登录数据库），无法验证重启后的持久性",
            en=f"before any restart db1 holds no published post {title!r} (or web1 cannot log in), so nothing can persist",
        )
    lab.restart(DB)
    lab.restart(WEB)
    last: list[Reply] = [Reply(0, "")]

    def serves_post() -> bool:
        page = _curl(lab, f"{SITE}/")
        last[0] = page
        if _page_problem(page, f"{SITE}/") is not None:
            return False
        reply, titles = _published_titles(lab, title)
        last[0] = reply
        return title in titles

    if not wait_until(serves_post, timeout=RESTART_BOUND, interval=2.0):
        problem = _page_problem(last[0], f"{SITE}/")
        zh_seen, en_seen = problem or (
            f"文章《{title}》不在搜索结果中",
            f"the post {title!r} is not in the search results",
        )
        zh_units, en_units = _service_states(lab)
        raise Fail(
            zh=f"重启并启动完成后 {RESTART_BOUND} 秒内站点没有恢复：{zh_seen}（服务状态：{zh_units}）",
            en=f"{RESTART_BOUND} s after both hosts restarted and booted, the site has not recovered: {en_seen} (services: {en_units})",
        )
