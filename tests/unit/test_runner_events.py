"""ansible-runner events → progress and failures, and what the runner does to its artifacts.

The event dicts mirror what ansible-runner 2.4 hands an ``event_handler`` (trimmed to the keys
that matter), so these tests catch a change in which keys cloudlab reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudlab.runner.events import MAX_MESSAGE, Progress, apply_event, failure_message
from cloudlab.runner.result import FailedTask, HostStats
from cloudlab.runner.run import MASK, docker_inventory, scrub_tree

PLAYBOOK = "setup.yml"


def event(kind: str, counter: int = 1, **data: Any) -> dict[str, Any]:
    """One event as ansible-runner passes it to the event handler."""
    return {
        "uuid": f"00000000-0000-0000-0000-{counter:012d}",
        "counter": counter,
        "stdout": "",
        "runner_ident": "run",
        "event": kind,
        "pid": 4242,
        "created": "2026-11-02T08:00:00.000000+00:00",
        "event_data": {"playbook": PLAYBOOK, "playbook_uuid": "p-1", **data},
    }


def play_start(name: str) -> dict[str, Any]:
    return event("playbook_on_play_start", play=name, play_pattern="all", name=name)


def task_start(name: str) -> dict[str, Any]:
    return event("playbook_on_task_start", play="Set up", task=name, name=name, is_conditional=False)


def on_host(kind: str, host: str, task: str, res: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"play": "Set up", "task": task, "host": host, "remote_addr": f"cl-demo-{host}"}
    if res is not None:
        data["res"] = {"_ansible_no_log": False, **res}
    return event(kind, **data, **extra)


def replay(*events: dict[str, Any]) -> tuple[Progress, list[bool]]:
    progress = Progress()
    return progress, [apply_event(progress, e) for e in events]


def test_a_successful_run_counts_ok_and_changed() -> None:
    """The live line shows ok/changed per host-task, the current task and the host on it."""
    progress, redraw = replay(
        event("playbook_on_start"),
        play_start("Set up the load balancer"),
        task_start("Install HAProxy"),
        on_host("runner_on_start", "lb1", "Install HAProxy"),
        on_host("runner_on_ok", "lb1", "Install HAProxy", {"changed": True, "cache_updated": False}),
        task_start("Start HAProxy"),
        on_host("runner_on_start", "lb1", "Start HAProxy"),
        on_host("runner_on_ok", "lb1", "Start HAProxy", {"changed": False, "name": "haproxy", "state": "started"}),
        on_host("runner_on_start", "web1", "Start HAProxy"),
    )
    assert redraw == [False, True, True, True, True, True, True, True, True]
    assert progress.play == "Set up the load balancer"
    assert (progress.ok, progress.changed, progress.failed) == (2, 1, 0)
    assert progress.failures == []
    assert progress.line() == "ok=2 changed=1 failed=0  Start HAProxy [web1]"


def test_task_start_clears_the_host() -> None:
    """Between tasks the line must not name the previous task's host."""
    progress, _ = replay(
        task_start("Install HAProxy"), on_host("runner_on_start", "lb1", "Install HAProxy"), task_start("Gather")
    )
    assert progress.host == ""
    assert progress.line() == "ok=0 changed=0 failed=0  Gather"
    assert Progress().line() == "ok=0 changed=0 failed=0"


def test_runner_on_ok_without_res_counts_as_unchanged() -> None:
    progress, _ = replay(on_host("runner_on_ok", "lb1", "Ping"))
    assert (progress.ok, progress.changed) == (1, 0)


def test_failed_task_with_msg() -> None:
    """The failure names host, task and the module's own sentence."""
    res = {"changed": False, "msg": "No package matching 'haproxxy' is available"}
    progress, redraw = replay(
        task_start("Install HAProxy"), on_host("runner_on_failed", "lb1", "Install HAProxy", res, ignore_errors=None)
    )
    assert redraw == [True, True]
    assert progress.failed == 1
    assert progress.failures == [FailedTask("lb1", "Install HAProxy", "No package matching 'haproxxy' is available")]
    assert progress.failures[0].describe() == (
        "lb1: task 'Install HAProxy' failed: No package matching 'haproxxy' is available"
    )


def test_failed_task_with_stderr_only() -> None:
    """A raw/script failure has no msg: stderr (then stdout) is the best we have."""
    res = {"rc": 1, "stderr": "haproxy: unknown keyword 'balanse'\n", "stdout": "", "changed": True}
    progress, _ = replay(on_host("runner_on_failed", "lb1", "Check the configuration", res))
    assert progress.failures[0].message == "haproxy: unknown keyword 'balanse'"
    assert failure_message({"stderr": "E: broken\n", "stdout": "reading lists\n"}) == "E: broken | reading lists"


def test_failed_command_reports_its_stderr() -> None:
    res = {
        "rc": 1,
        "cmd": ["haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"],
        "msg": "non-zero return code",
        "stderr": "[ALERT] parsing [/etc/haproxy/haproxy.cfg:21] : unknown keyword 'balanse'",
        "stdout": "",
        "changed": True,
    }
    assert "unknown keyword 'balanse'" in failure_message(res)


LOOP_ITEMS = [
    {"item": "haproxy", "changed": False, "failed": False, "ansible_loop_var": "item"},
    {
        "item": "hatop",
        "changed": False,
        "failed": True,
        "msg": "No package matching 'hatop' is available",
        "ansible_loop_var": "item",
    },
]


def test_loop_without_top_level_msg_reports_the_failed_item() -> None:
    progress, _ = replay(on_host("runner_on_failed", "lb1", "Install packages", {"results": LOOP_ITEMS}))
    assert progress.failures[0].message == "No package matching 'hatop' is available"


def test_loop_failure_as_ansible_reports_it_names_the_item_reason() -> None:
    res = {"changed": False, "failed": True, "msg": "One or more items failed", "results": LOOP_ITEMS}
    progress, _ = replay(on_host("runner_on_failed", "lb1", "Install packages", res))
    assert "No package matching 'hatop' is available" in progress.failures[0].message


def test_ignored_failure_is_not_counted() -> None:
    """``ignore_errors: true`` tasks fail by design (probes); they must not alarm the user."""
    res = {"rc": 3, "msg": "non-zero return code", "stderr": "inactive"}
    progress, redraw = replay(on_host("runner_on_failed", "lb1", "Probe HAProxy", res, ignore_errors=True))
    assert redraw == [False]
    assert (progress.failed, progress.failures) == (0, [])


def test_unreachable_host_is_a_failure_marked_unreachable() -> None:
    res = {
        "unreachable": True,
        "changed": False,
        "msg": "Failed to create temporary directory. In some cases ... container cl-demo-web2 is not running",
    }
    progress, _ = replay(on_host("runner_on_unreachable", "web2", "Gathering Facts", res))
    assert progress.failed == 1
    (failure,) = progress.failures
    assert failure.unreachable
    assert failure.describe().startswith("web2: task 'Gathering Facts' unreachable: Failed to create temporary")


def test_failure_event_without_host_or_task() -> None:
    """A malformed event still yields a failure the user can read, not a KeyError."""
    progress, _ = replay({"event": "runner_on_failed", "event_data": None})
    assert progress.failures == [FailedTask("?", "?", "no message")]


def test_playbook_on_stats_gives_per_host_stats() -> None:
    stats = event(
        "playbook_on_stats",
        changed={"lb1": 3},
        dark={"web2": 1},
        failures={"web1": 1},
        ignored={"lb1": 1},
        ok={"lb1": 9, "web1": 4},
        processed={"lb1": 1, "web1": 1, "web2": 1},
        rescued={},
        skipped={"web1": 2},
        artifact_data={},
    )
    progress, redraw = replay(stats)
    assert redraw == [True]
    assert list(progress.stats) == ["lb1", "web1", "web2"]
    assert progress.stats["lb1"] == HostStats(ok=9, changed=3)
    assert progress.stats["web1"] == HostStats(ok=4, failed=1, skipped=2)
    assert progress.stats["web2"] == HostStats(unreachable=1)


def test_stats_with_null_sections() -> None:
    progress, _ = replay(event("playbook_on_stats", ok={"lb1": 1}, changed=None, failures=None, dark=None))
    assert progress.stats == {"lb1": HostStats(ok=1)}


def test_events_that_do_not_change_the_display() -> None:
    progress, redraw = replay(
        event("verbose"), event("playbook_on_include"), on_host("runner_on_skipped", "lb1", "Skip me")
    )
    assert redraw == [False, False, False]
    assert progress == Progress()


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"msg": "  boom  ", "stderr": "ignored"}, "boom"),
        ({"msg": "   ", "stderr": "the real error"}, "the real error"),
        ({"reason": "timed out waiting for ping module test"}, "timed out waiting for ping module test"),
        ({"msg": ["not", "text"], "stdout": "out"}, "out"),
        ({}, "no message"),
        ({"results": [{"failed": False, "msg": "fine"}]}, "no message"),
    ],
)
def test_failure_message_picks_the_useful_text(result: dict[str, Any], message: str) -> None:
    assert failure_message(result) == message


def test_failure_message_truncation() -> None:
    """A page of stderr must not flood the terminal; the cut is marked with an ellipsis."""
    assert failure_message({"msg": "x" * MAX_MESSAGE}) == "x" * MAX_MESSAGE
    long = failure_message({"msg": "y" * (MAX_MESSAGE + 1)})
    assert long == "y" * MAX_MESSAGE + "…"
    joined = failure_message({"stderr": "e" * 400, "stdout": "o" * 400})
    assert len(joined) == MAX_MESSAGE + 1
    assert joined.startswith("e" * 400 + " | o")


# -- run.py: artifacts and inventory ----------------------------------------------------


def artifacts_tree(root: Path, password: str) -> dict[str, Path]:
    """A copy of what ansible-runner leaves in artifacts/<ident>/, with the secret inside."""
    files = {
        "command": root / "command",
        "stdout": root / "stdout",
        "event": root / "job_events" / "3-0000.json",
        "env": root / "fact_cache" / "deep" / "er" / "env.txt",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    files["command"].write_text(
        json.dumps({"command": ["ansible-playbook", "-e", f"stats_password={password}"], "cwd": "/tmp/x"}),
        encoding="utf-8",
    )
    files["stdout"].write_text(f"TASK [Set the password]\nchanged: [lb1] => {password}\n", encoding="utf-8")
    files["event"].write_text(json.dumps({"event_data": {"res": {"msg": f"user lbadmin:{password}"}}}))
    files["env"].write_text(f"A={password}\nB={password}{password}\n", encoding="utf-8")
    return files


def test_scrub_tree_replaces_secrets_in_nested_text_files(tmp_path: Path) -> None:
    """artifacts/command stores the whole environment and extravars: no password may survive."""
    files = artifacts_tree(tmp_path, "Hx7pQ2mK9rTz")
    untouched = tmp_path / "job_events" / "1-0000.json"
    untouched.write_text('{"event": "playbook_on_start"}', encoding="utf-8")
    before = untouched.stat().st_mtime_ns
    scrub_tree(tmp_path, ["Hx7pQ2mK9rTz", "lbadmin-not-secret-here"])
    for path in files.values():
        text = path.read_text(encoding="utf-8")
        assert "Hx7pQ2mK9rTz" not in text
        assert MASK in text
    assert files["env"].read_text(encoding="utf-8") == f"A={MASK}\nB={MASK}{MASK}\n"
    assert json.loads(files["command"].read_text(encoding="utf-8"))["command"][2] == f"stats_password={MASK}"
    assert untouched.stat().st_mtime_ns == before  # files without a secret are not rewritten


def test_scrub_tree_leaves_binary_files_alone(tmp_path: Path) -> None:
    blob = b"\x89PNG\r\n\x1a\n\xff\xfe secret-value-1 \x00\x81"
    (tmp_path / "image.png").write_bytes(blob)
    scrub_tree(tmp_path, ["secret-value-1"])
    assert (tmp_path / "image.png").read_bytes() == blob


def test_scrub_tree_ignores_short_and_empty_values(tmp_path: Path) -> None:
    """Masking 'a' or '80' would wreck every file; values under 4 characters are not secrets."""
    (tmp_path / "stdout").write_text("ok: [web1] port 80 user abc\n", encoding="utf-8")
    scrub_tree(tmp_path, ["80", "abc", "", "port"])
    assert (tmp_path / "stdout").read_text(encoding="utf-8") == f"ok: [web1] {MASK} 80 user abc\n"


def test_scrub_tree_masks_the_longest_value_first(tmp_path: Path) -> None:
    """With secrets 'hunter' and 'hunter22', the longer one must not leave '22' visible."""
    (tmp_path / "stdout").write_text("pw=hunter22 other=hunter\n", encoding="utf-8")
    scrub_tree(tmp_path, ["hunter", "hunter22"])
    assert (tmp_path / "stdout").read_text(encoding="utf-8") == f"pw={MASK} other={MASK}\n"


def test_scrub_tree_without_secrets_touches_nothing(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_text("x\r\n", encoding="utf-8", newline="")
    scrub_tree(tmp_path, [])
    scrub_tree(tmp_path / "missing", ["long-secret"])
    assert (tmp_path / "stdout").read_bytes() == b"x\r\n"


def test_scrub_tree_changes_only_the_secret(tmp_path: Path) -> None:
    (tmp_path / "stdout").write_bytes(b"PLAY [all]\r\nok: [lb1] => Hx7pQ2mK9rTz\r\n")
    scrub_tree(tmp_path, ["Hx7pQ2mK9rTz"])
    assert (tmp_path / "stdout").read_bytes() == f"PLAY [all]\r\nok: [lb1] => {MASK}\r\n".encode()


def test_docker_inventory() -> None:
    """Each lab host is reached by docker exec under its lab name, as root with the image's python."""
    inventory = docker_inventory({"lb1": "cl-demo-lb1", "web1": "cl-demo-web1"})
    assert inventory == {
        "all": {
            "hosts": {"lb1": {"ansible_host": "cl-demo-lb1"}, "web1": {"ansible_host": "cl-demo-web1"}},
            "vars": {
                "ansible_connection": "community.docker.docker",
                "ansible_python_interpreter": "/usr/bin/python3",
                "ansible_user": "root",
            },
        }
    }
    assert docker_inventory({})["all"]["hosts"] == {}
