"""``cloudlab doctor``: check what labs need and say exactly how to fix each gap."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def check_docker_cli() -> Finding:
    found = shutil.which("docker")
    return Finding("docker client", bool(found), found or "not on PATH", "apt-get install -y docker.io")


def check_docker_engine() -> Finding:
    from cloudlab.errors import DockerUnavailableError
    from cloudlab.providers.docker import connect

    try:
        version = connect().version().get("Version", "?")
    except DockerUnavailableError:
        fix = "start it: 'systemctl start docker' (or, without systemd: 'nohup dockerd >/var/log/dockerd.log 2>&1 &'); install with 'apt-get install -y docker.io'"
        return Finding("docker engine", False, "not reachable at the Docker socket", fix)
    return Finding("docker engine", True, f"version {version}")


def check_debootstrap() -> Finding:
    found = shutil.which("debootstrap") or (Path("/usr/sbin/debootstrap").exists() and "/usr/sbin/debootstrap")
    return Finding("debootstrap", bool(found), str(found or "missing"), "apt-get install -y debootstrap")


def check_base_image() -> Finding:
    from cloudlab.image import image_tag

    tag = image_tag()
    try:
        from cloudlab.providers.docker import connect

        connect().images.get(tag)
    except Exception:
        return Finding(
            "base image",
            False,
            f"{tag} not built yet",
            "it is built on the first 'cloudlab up' (or: make image)",
            required=False,
        )
    return Finding("base image", True, tag)


def check_cgroup() -> Finding:
    ok = Path("/sys/fs/cgroup").is_dir()
    return Finding(
        "cgroup file system",
        ok,
        "/sys/fs/cgroup" if ok else "missing",
        "systemd containers need /sys/fs/cgroup mounted",
    )


def check_collection() -> Finding:
    try:
        import ansible_collections.community.docker  # noqa: F401
    except ImportError:
        return Finding(
            "community.docker", False, "collection missing", "pip install 'ansible==12.3.0' in cloudlab's venv"
        )
    return Finding("community.docker", True, "installed")


INOTIFY_INSTANCES = 1024  # each systemd container takes several; Debian's default 128 fits ~10 hosts


def check_inotify() -> Finding:
    limit_file = Path("/proc/sys/fs/inotify/max_user_instances")
    limit = int(limit_file.read_text().strip()) if limit_file.exists() else 0
    return Finding(
        "inotify instances",
        limit >= INOTIFY_INSTANCES,
        f"fs.inotify.max_user_instances = {limit}",
        f"systemd in lab containers exits when this runs out: sysctl -w fs.inotify.max_user_instances={INOTIFY_INSTANCES * 8}",
    )


def check_device(path: str, what: str) -> Callable[[], Finding]:
    def probe() -> Finding:
        return Finding(
            path,
            Path(path).exists(),
            "present" if Path(path).exists() else "missing",
            f"needed only by {what} labs",
            required=False,
        )

    return probe


CHECKS = [
    check_docker_cli,
    check_docker_engine,
    check_debootstrap,
    check_cgroup,
    check_inotify,
    check_collection,
    check_base_image,
    check_device("/dev/fuse", "GlusterFS"),
    check_device("/dev/net/tun", "VPN"),
]


@click.command("doctor")
def doctor_command() -> None:
    """Check prerequisites; print how to fix each problem. Exit 1 if a required one fails."""
    broken = False
    for probe in CHECKS:
        finding = probe()
        mark = "ok " if finding.ok else ("FIX" if finding.required else "note")
        click.echo(f"[{mark}] {finding.name}: {finding.detail}")
        if not finding.ok:
            click.echo(f"       → {finding.fix}")
            broken = broken or finding.required
    sys.exit(1 if broken else 0)
