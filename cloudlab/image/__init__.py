"""The lab base image: Debian bookworm with systemd, sshd and python3, built locally.

No registry is reachable where labs run, so the image is made from Debian's packages with
debootstrap and ``docker import``. Its tag carries a hash of the recipe, so a changed recipe
builds a new image and an unchanged one is reused.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from cloudlab.errors import ImageBuildError

IMAGE_REPOSITORY = "cloudlab/base"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
IMAGE_CHANGES = ['CMD ["/lib/systemd/systemd"]', "ENV container=docker"]
# STOPSIGNAL is not accepted by `docker import`: the provider sets SIGRTMIN+3 per container.


def _recipe_files() -> tuple[bytes, bytes]:
    folder = resources.files(__name__)
    return (folder / "recipe.sh").read_bytes(), (folder / "packages.txt").read_bytes()


def image_packages() -> list[str]:
    """The package list, comments and blank lines removed."""
    text = _recipe_files()[1].decode()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def image_tag() -> str:
    """``cloudlab/base:<hash>``: the hash covers the recipe, the package list and the options."""
    digest = hashlib.sha256()
    for part in _recipe_files():
        digest.update(part)
    digest.update("\n".join(IMAGE_CHANGES).encode())
    return f"{IMAGE_REPOSITORY}:{digest.hexdigest()[:12]}"


def host_debian_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror this machine's apt uses, so the image fetches from the same place."""
    pattern = re.compile(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+/debian)/?\s", re.MULTILINE)
    for path in [sources / "sources.list", *sorted((sources / "sources.list.d").glob("*"))]:
        if path.is_file() and path.suffix in {"", ".list", ".sources"}:
            match = pattern.search(path.read_text(errors="replace") + "\n")
            if match:
                return match.group(1)
    return DEFAULT_MIRROR


def build_rootfs_tar(workdir: Path, mirror: str) -> Path:
    """Run the recipe into ``workdir/rootfs`` and pack it as ``workdir/rootfs.tar``."""
    rootfs = workdir / "rootfs"
    recipe = workdir / "recipe.sh"
    recipe.write_bytes(_recipe_files()[0])
    packages = ",".join(image_packages())
    _run(["sh", str(recipe), str(rootfs), mirror, packages], "debootstrap")
    tar_path = workdir / "rootfs.tar"
    _run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tar_path), "."], "tar")
    return tar_path


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ImageBuildError(f"building the base image failed in {what} (exit {result.returncode}):\n{tail}")


def ensure_image(
    client: object,
    mirror: str | None = None,
    scratch: Path | None = None,
    on_build: Callable[[str], None] | None = None,
) -> str:
    """Return the base image tag, building and importing it first when Docker lacks it."""
    import docker.errors

    tag = image_tag()
    try:
        client.images.get(tag)  # type: ignore[attr-defined]
        return tag
    except docker.errors.ImageNotFound:
        pass
    if on_build is not None:
        on_build(tag)
    repository, version = tag.split(":")
    with tempfile.TemporaryDirectory(prefix="cloudlab-image-", dir=scratch) as tmp:
        tar_path = build_rootfs_tar(Path(tmp), mirror or host_debian_mirror())
        client.api.import_image_from_file(  # type: ignore[attr-defined]
            str(tar_path), repository=repository, tag=version, changes=IMAGE_CHANGES
        )
    client.images.get(tag)  # type: ignore[attr-defined]
    return tag
