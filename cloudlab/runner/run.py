"""Run one playbook against a lab with ansible-runner. The only module that imports it.

Each run gets a fresh private data dir (a reused one keeps stale env and extravars). Events
go through a queue to the caller's thread, which draws progress; ansible-runner's own output
is kept quiet. After the run the artifacts are copied into the lab's run folder with every
secret value replaced, and the private data dir (which holds the extravars) is deleted.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import ansible_runner

from cloudlab.runner.events import Progress, apply_event
from cloudlab.runner.result import FailedTask, PlayResult

ProgressCallback = Callable[[Progress], None]
MASK = "********"


def docker_inventory(containers: dict[str, str]) -> dict[str, Any]:
    """An inventory reaching each lab host through ``docker exec`` under its lab name."""
    return {
        "all": {
            "hosts": {name: {"ansible_host": container} for name, container in containers.items()},
            "vars": {
                "ansible_connection": "community.docker.docker",
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_user": "root",
            },
        }
    }


def ansible_environment(roles_path: Path) -> dict[str, str]:
    return {
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_ROLES_PATH": str(roles_path),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_NOCOLOR": "True",
        "ANSIBLE_FORKS": "10",
        "ANSIBLE_TIMEOUT": "30",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        # ansible-playbook lives beside this interpreter (the venv), which may not be on PATH.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")]),
    }


def scrub_tree(folder: Path, secrets: Iterable[str]) -> None:
    """Replace every secret value in every text file under ``folder``."""
    values = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not values:
        return
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        try:
            with path.open(encoding="utf-8", newline="") as stream:
                text = stream.read()
        except (UnicodeDecodeError, OSError):
            continue
        scrubbed = text
        for value in values:
            scrubbed = scrubbed.replace(value, MASK)
        if scrubbed != text:
            path.write_text(scrubbed, encoding="utf-8", newline="")


def run_playbook(
    playbook: Path,
    containers: dict[str, str],
    extravars: dict[str, Any],
    *,
    roles_path: Path,
    keep_in: Path,
    secrets: Iterable[str] = (),
    on_progress: ProgressCallback | None = None,
    limit: str | None = None,
) -> PlayResult:
    """Run ``playbook`` on the lab's hosts and return its frozen result."""
    events: queue.Queue[dict[str, Any]] = queue.Queue()

    def handler(event: dict[str, Any]) -> bool:
        events.put(event)
        return True  # False would drop the event from the artifacts and the stats

    progress = Progress()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cloudlab-run-") as private:
        thread, runner = ansible_runner.run_async(
            private_data_dir=private,
            playbook=str(playbook.resolve()),
            inventory=docker_inventory(containers),
            extravars=dict(extravars),
            envvars=ansible_environment(roles_path),
            limit=limit,
            quiet=True,
            event_handler=handler,
            cancel_callback=lambda: False,
            ident="run",
        )
        while thread.is_alive() or not events.empty():
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                continue
            if apply_event(progress, event) and on_progress is not None:
                on_progress(progress)
        thread.join()
        artifacts = keep_in / "artifacts"
        shutil.copytree(Path(private) / "artifacts" / "run", artifacts, dirs_exist_ok=True)
    scrub_tree(artifacts, secrets)
    failures = tuple(progress.failures)
    if not failures and runner.status != "successful":
        failures = (FailedTask("-", "ansible-playbook", _output_tail(artifacts)),)
    return PlayResult(
        playbook=playbook.name,
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else -1),
        seconds=round(time.monotonic() - started, 1),
        stats=progress.stats,
        failures=failures,
        artifact_dir=artifacts,
    )


def _output_tail(artifacts: Path, lines: int = 6) -> str:
    """The end of ansible-playbook's own output, for failures that produced no task event."""
    stdout = artifacts / "stdout"
    text = stdout.read_text(encoding="utf-8", errors="replace") if stdout.is_file() else ""
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:] if line.strip()) or "no output"
