"""The base image: a tag that changes exactly when the recipe does, and the host's apt mirror."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from cloudlab.image import DEFAULT_MIRROR, image_packages, image_tag


def test_image_tag_form_and_stability() -> None:
    """Same recipe → same tag, so an unchanged image is reused instead of rebuilt."""
    tag = image_tag()
    assert re.fullmatch(r"cloudlab/base:[0-9a-f]{12}", tag)
    assert image_tag() == tag
    other_process = subprocess.run(
        [sys.executable, "-c", "from cloudlab.image import image_tag; print(image_tag())"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert other_process.stdout.strip() == tag


def test_image_tag_follows_the_package_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adding a package must give a new tag (the old image lacks it)."""
    import cloudlab.image as image

    recipe, packages = image._recipe_files()
    before = image.image_tag()
    monkeypatch.setattr(image, "_recipe_files", lambda: (recipe, packages + b"haproxy\n"))
    assert image.image_tag() != before


def test_image_packages() -> None:
    """What every lab host needs: systemd as PID 1, sshd for candidates, python3 for Ansible."""
    packages = image_packages()
    assert {"systemd", "openssh-server", "python3"} <= set(packages)
    assert all(p and not p.startswith("#") and p == p.strip() and " " not in p for p in packages)
    assert len(packages) == len(set(packages))


def apt_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "sources.list.d").mkdir(exist_ok=True)
    return root


@pytest.mark.parametrize(
    ("files", "mirror"),
    [
        ({"sources.list": "deb http://x/debian bookworm main\n"}, "http://x/debian"),
        ({"sources.list": "deb http://x/debian/ bookworm main contrib\n"}, "http://x/debian"),
        (
            {"sources.list": "deb [signed-by=/usr/share/keyrings/debian.gpg arch=amd64] http://x/debian bookworm main"},
            "http://x/debian",
        ),
        (
            {
                "sources.list": (
                    "# deb http://commented.example/debian bookworm main\n"
                    "deb-src http://src.example/debian bookworm main\n"
                    "deb https://mirrors.tuna.tsinghua.edu.cn/debian bookworm main\n"
                )
            },
            "https://mirrors.tuna.tsinghua.edu.cn/debian",
        ),
        (
            {
                "sources.list.d/debian.sources": (
                    "Types: deb\nURIs: http://y/debian\nSuites: bookworm bookworm-updates\n"
                    "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
                    "Types: deb\nURIs: http://y/debian-security\nSuites: bookworm-security\n"
                )
            },
            "http://y/debian",
        ),
        ({"sources.list.d/debian.sources": "Types: deb\nURIs: http://y/debian"}, "http://y/debian"),  # no final \n
        ({"sources.list": "", "sources.list.d/local.list": "deb http://z/debian bookworm main\n"}, "http://z/debian"),
    ],
)
def test_host_debian_mirror(tmp_path: Path, files: dict[str, str], mirror: str) -> None:
    """The image is fetched from the mirror this machine already reaches (often a local one)."""
    from cloudlab.image import host_debian_mirror

    assert host_debian_mirror(apt_tree(tmp_path, files)) == mirror


@pytest.mark.parametrize(
    "files",
    [
        {},
        {"sources.list": "deb http://archive.ubuntu.com/ubuntu jammy main\n"},
        {"sources.list": "# deb http://x/debian bookworm main\n"},
        {"sources.list.d/debian.sources.disabled": "URIs: http://y/debian\n"},
        {"sources.list.d/security.sources": "URIs: http://y/debian-security\n"},
    ],
)
def test_host_debian_mirror_falls_back_to_deb_debian_org(tmp_path: Path, files: dict[str, str]) -> None:
    from cloudlab.image import host_debian_mirror

    assert host_debian_mirror(apt_tree(tmp_path, files)) == DEFAULT_MIRROR == "http://deb.debian.org/debian"


def test_host_debian_mirror_without_an_apt_folder(tmp_path: Path) -> None:
    from cloudlab.image import host_debian_mirror

    assert host_debian_mirror(tmp_path / "no-apt-here") == DEFAULT_MIRROR


def test_sources_list_wins_over_sources_list_d(tmp_path: Path) -> None:
    from cloudlab.image import host_debian_mirror

    tree = apt_tree(
        tmp_path,
        {
            "sources.list": "deb http://first/debian bookworm main\n",
            "sources.list.d/a.list": "deb http://second/debian b m\n",
        },
    )
    assert host_debian_mirror(tree) == "http://first/debian"
