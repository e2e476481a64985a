"""The shared HTTP probe parses curl's answer, its failures, and quotes what it is given."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlab.grading.probes import HttpReply, http_get


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str = ""


class FakeHost:
    def __init__(self, result: Result) -> None:
        self.result = result
        self.commands: list[str] = []

    def run(self, command: str) -> Result:
        self.commands.append(command)
        return self.result


def test_answer_with_body_and_code() -> None:
    host = FakeHost(Result(0, "web1\n\n200"))
    assert http_get(host, "http://lb1/") == HttpReply(200, "web1")
    assert host.commands == ["curl -sS --max-time 5 -w '\\n%{http_code}' http://lb1/"]


def test_no_answer_names_curls_reason() -> None:
    host = FakeHost(Result(7, "\n000", "curl: (7) Failed to connect to gw port 80: Connection refused\n"))
    reply = http_get(host, "http://gw/", timeout=2)
    assert reply == HttpReply(0, "", "curl: (7) Failed to connect to gw port 80: Connection refused")
    assert "--max-time 2" in host.commands[0]


def test_silent_failure_gives_the_exit_code() -> None:
    assert http_get(FakeHost(Result(28, "")), "http://x/").error == "curl exit code 28"


def test_options_are_quoted() -> None:
    host = FakeHost(Result(0, "ok\n200"))
    http_get(host, "http://lb1:8404/stats", "-u", "admin:p w'd")
    assert "-u 'admin:p w'\"'\"'d' -w" in host.commands[0]
