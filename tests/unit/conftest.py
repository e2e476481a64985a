"""Fixtures for the unit tests: no Docker, no network, nothing written outside tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cloudlab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty state folder, so no test sees (or changes) the real labs of this machine."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CLOUDLAB_HOME", str(home))
    return home
