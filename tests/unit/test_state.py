"""Lab records on disk: atomic, readable errors, and one command per lab at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudlab.errors import LabError, LabLockedError
from cloudlab.state import HostRecord, LabRecord, StateStore, state_home


def record(lab: str = "seat-01", **changes: object) -> LabRecord:
    fields: dict[str, object] = {
        "lab": lab,
        "scenario": "lb-haproxy",
        "scenario_version": "1.0.0",
        "seed": 17,
        "params": {"stats_user": "lbadmin", "stats_password": "Hx7pQ2mK9rTz", "stats_port": 8404, "note": "负载均衡"},
        "state": "ready",
        "image": "cloudlab/base:0123456789ab",
        "hosts": [
            HostRecord("lb1", f"cl-{lab}-lb1", "10.213.0.11", {"lab": "10.213.0.11"}),
            HostRecord("web1", f"cl-{lab}-web1", "10.213.0.12", {"lab": "10.213.0.12", "back": "10.213.1.12"}),
        ],
        "networks": {"lab": "10.213.0.0/24", "back": "10.213.1.0/24"},
    }
    fields.update(changes)
    return LabRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(cloudlab_home: Path) -> StateStore:
    return StateStore()


def test_state_home_follows_cloudlab_home(cloudlab_home: Path) -> None:
    assert state_home() == cloudlab_home
    assert StateStore().home == cloudlab_home


def test_save_load_roundtrip(store: StateStore) -> None:
    """Everything ``up`` stores (params of every type, hosts, networks) comes back equal."""
    original = record()
    store.save(original)
    loaded = store.load("seat-01")
    assert loaded == original
    assert loaded.containers() == {"lb1": "cl-seat-01-lb1", "web1": "cl-seat-01-web1"}
    assert isinstance(loaded.hosts[0], HostRecord)
    assert store.exists("seat-01")
    assert store.lab_names() == ["seat-01"]
    text = store.record_path("seat-01").read_text(encoding="utf-8")
    assert "负载均衡" in text  # readable, not \\u-escaped
    assert text.endswith("}\n")


def test_save_bumps_updated(store: StateStore) -> None:
    lab = record(updated="2000-01-01T00:00:00+00:00")
    store.save(lab)
    assert store.load("seat-01").updated != "2000-01-01T00:00:00+00:00"


def test_atomic_write_leaves_no_temporary_files(store: StateStore) -> None:
    for seed in range(5):
        store.save(record(seed=seed))
    assert sorted(p.name for p in store.lab_dir("seat-01").iterdir()) == ["lab.json"]
    assert store.load("seat-01").seed == 4


def test_interrupted_write_keeps_the_old_record(store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash between writing and renaming must leave the previous record and no debris."""
    store.save(record(seed=1))

    def fail_replace(self: Path, target: Path) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", fail_replace)
    with pytest.raises(KeyboardInterrupt):
        store.save(record(seed=2))
    monkeypatch.undo()
    assert sorted(p.name for p in store.lab_dir("seat-01").iterdir()) == ["lab.json"]
    assert store.load("seat-01").seed == 1


@pytest.mark.parametrize(
    "content",
    [
        '{"lab": "seat-01", "scenario": "lb-ha',  # cut short
        "[1, 2]",
        '{"lab": "seat-01"}',  # fields missing
        '{"lab": "seat-01", "unexpected": 1}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_damaged_record_names_the_file(store: StateStore, content: str | bytes) -> None:
    path = store.record_path("seat-01")
    path.parent.mkdir(parents=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LabError) as caught:
        store.load("seat-01")
    message = str(caught.value)
    assert message.startswith(f"{path}: the lab record is damaged (")
    assert message.endswith("remove the lab with 'cloudlab down seat-01'")


def test_record_that_is_json_null_is_damaged(store: StateStore) -> None:
    path = store.record_path("seat-01")
    path.parent.mkdir(parents=True)
    path.write_text("null\n", encoding="utf-8")
    with pytest.raises(LabError, match="damaged"):
        store.load("seat-01")


def test_unknown_lab_lists_existing_labs(store: StateStore) -> None:
    with pytest.raises(LabError) as caught:
        store.load("nosuch")
    assert str(caught.value) == "no lab named 'nosuch'; existing labs: none (see 'cloudlab status')"
    store.save(record("seat-02"))
    store.save(record("seat-01"))
    store.lab_dir("half-made").mkdir(parents=True)  # a folder without lab.json is not a lab
    with pytest.raises(LabError) as caught:
        store.load("nosuch")
    assert str(caught.value) == "no lab named 'nosuch'; existing labs: seat-01, seat-02 (see 'cloudlab status')"


def test_remove_and_run_dirs(store: StateStore) -> None:
    store.save(record())
    first = store.new_run_dir("seat-01", "setup")
    second = store.new_run_dir("seat-01", "solve")
    assert first.is_dir() and second.is_dir()
    assert first.parent == second.parent == store.lab_dir("seat-01") / "runs"
    assert first.name.endswith("-setup") and second.name.endswith("-solve")
    assert sorted(p.name for p in first.parent.iterdir()) == [first.name, second.name]  # stamps sort in time order
    store.remove("seat-01")
    assert not store.exists("seat-01")
    assert store.lab_names() == []
    store.remove("seat-01")  # removing twice is fine


# -- the lab lock ----------------------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from cloudlab.state import StateStore
    with StateStore(Path(sys.argv[1])).locked(sys.argv[2]):
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


@pytest.fixture
def holder(cloudlab_home: Path) -> Iterator[subprocess.Popen[str]]:
    """Another cloudlab process holding the lock of lab seat-01 until its stdin closes."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(cloudlab_home), "seat-01"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdin is not None
    assert process.stdout.readline().strip() == "locked"
    yield process
    process.stdin.close()
    process.wait(timeout=10)


def test_second_lock_on_the_same_lab_fails_at_once(store: StateStore, holder: subprocess.Popen[str]) -> None:
    """A second command must not wait silently or interleave: it fails now and names the holder."""
    started = time.monotonic()
    with pytest.raises(LabLockedError) as caught, store.locked("seat-01"):
        pass
    assert time.monotonic() - started < 1.0
    assert str(caught.value) == (
        f"lab 'seat-01' is busy: cloudlab (pid {holder.pid}) is working on it; wait for it to finish"
    )
    assert caught.value.exit_code == 75


def test_other_labs_are_not_blocked(store: StateStore, holder: subprocess.Popen[str]) -> None:
    with store.locked("seat-02"):
        pass


def test_lock_is_free_again_after_the_holder_ends(store: StateStore, holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=10)
    with store.locked("seat-01"):
        lock_text = (store.home / "locks" / "seat-01.lock").read_text(encoding="utf-8")
        assert lock_text == f"cloudlab (pid {os.getpid()})"
    assert (store.home / "locks" / "seat-01.lock").read_text(encoding="utf-8") == ""


def test_lock_is_released_when_the_body_raises(store: StateStore) -> None:
    with pytest.raises(RuntimeError), store.locked("seat-01"):
        raise RuntimeError("boom")
    with store.locked("seat-01"):
        pass


@pytest.mark.parametrize("name", ["", "Seat1", "1seat", "seat_01", "seat.01", "../etc", "a" * 42, "seat 01"])
def test_invalid_lab_names_are_rejected(store: StateStore, name: str) -> None:
    with pytest.raises(LabError, match="must start with a letter and use only a-z, 0-9 and '-'"), store.locked(name):
        pass
    assert not (store.home / "locks").exists() or not any((store.home / "locks").iterdir())


@pytest.mark.parametrize("name", ["a", "seat-01", "a" * 41])
def test_valid_lab_names(store: StateStore, name: str) -> None:
    with store.locked(name):
        pass
