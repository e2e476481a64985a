"""Where the project's scenarios and roles are: beside the package, or ``$CLOUDLAB_ROOT``."""

from __future__ import annotations

import os
from pathlib import Path

from cloudlab.errors import ScenarioError


def project_root() -> Path:
    configured = os.environ.get("CLOUDLAB_ROOT")
    root = Path(configured) if configured else Path(__file__).resolve().parent.parent
    if not (root / "scenarios").is_dir():
        raise ScenarioError(f"{root}: no scenarios/ folder here; set CLOUDLAB_ROOT to a cloudlab checkout")
    return root


def scenarios_dir() -> Path:
    return project_root() / "scenarios"


def roles_dir() -> Path:
    return project_root() / "roles"
