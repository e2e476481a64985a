"""Labs on disk: one folder per lab with its record, its runs and a lock.

Layout under the state folder (``$CLOUDLAB_HOME``, default ``~/.local/share/cloudlab``)::

    labs/<lab>/lab.json        the lab record (scenario, seed, params, hosts, state)
    labs/<lab>/runs/<stamp>-<kind>/   artifacts of each Ansible run, secrets scrubbed
    locks/<lab>.lock           held while a command works on the lab

Records are written atomically (temporary file, fsync, rename) so an interrupted command never
leaves half a record behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudlab.errors import LabError, LabLockedError

LAB_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


def state_home() -> Path:
    configured = os.environ.get("CLOUDLAB_HOME")
    return Path(configured) if configured else Path.home() / ".local" / "share" / "cloudlab"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class HostRecord:
    name: str
    container: str
    address: str
    addresses: dict[str, str] = field(default_factory=dict)


@dataclass
class LabRecord:
    """What cloudlab remembers about one lab."""

    lab: str
    scenario: str
    scenario_version: str
    seed: int
    params: dict[str, Any]
    state: str
    image: str
    hosts: list[HostRecord] = field(default_factory=list)
    networks: dict[str, str] = field(default_factory=dict)
    level: str = ""
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)

    def containers(self) -> dict[str, str]:
        return {host.name: host.container for host in self.hosts}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabRecord:
        hosts = [HostRecord(**host) for host in data.pop("hosts", [])]
        return cls(**data, hosts=hosts)


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise


class StateStore:
    """Reads and writes lab records under one state folder."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or state_home()

    def lab_dir(self, lab: str) -> Path:
        return self.home / "labs" / lab

    def record_path(self, lab: str) -> Path:
        return self.lab_dir(lab) / "lab.json"

    def exists(self, lab: str) -> bool:
        return self.record_path(lab).is_file()

    def load(self, lab: str) -> LabRecord:
        path = self.record_path(lab)
        if not path.is_file():
            known = ", ".join(self.lab_names()) or "none"
            raise LabError(f"no lab named {lab!r}; existing labs: {known} (see 'cloudlab status')")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object, found {type(data).__name__}")
            return LabRecord.from_json(data)
        except (ValueError, TypeError, KeyError) as error:
            raise LabError(
                f"{path}: the lab record is damaged ({error}); remove the lab with 'cloudlab down {lab}'"
            ) from None

    def save(self, record: LabRecord) -> None:
        record.updated = now_iso()
        atomic_write_text(
            self.record_path(record.lab), json.dumps(record.to_json(), indent=2, ensure_ascii=False) + "\n"
        )

    def remove(self, lab: str) -> None:
        shutil.rmtree(self.lab_dir(lab), ignore_errors=True)

    def lab_names(self) -> list[str]:
        labs = self.home / "labs"
        return sorted(p.name for p in labs.iterdir() if (p / "lab.json").is_file()) if labs.is_dir() else []

    def new_run_dir(self, lab: str, kind: str) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.lab_dir(lab) / "runs" / f"{stamp}-{kind}"
        path.mkdir(parents=True)
        return path

    @contextlib.contextmanager
    def locked(self, lab: str) -> Iterator[None]:
        """Hold the lab's lock; a second command on the same lab fails at once with who holds it."""
        if not LAB_NAME.match(lab):
            raise LabError(
                f"lab name {lab!r} must start with a letter and use only a-z, 0-9 and '-' (at most 41 characters)"
            )
        lock_path = self.home / "locks" / f"{lab}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise LabLockedError(f"lab {lab!r} is busy: {holder} is working on it; wait for it to finish") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"cloudlab (pid {os.getpid()})")
            handle.flush()
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                fcntl.flock(handle, fcntl.LOCK_UN)
