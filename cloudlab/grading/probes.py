"""Probes rubrics share: what a lab host sees when it talks to another over the lab network."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

CURL_TIMEOUT = 5  # seconds for one request


@dataclass(frozen=True)
class HttpReply:
    """One HTTP answer as curl on a lab host saw it (``code`` 0: no HTTP answer at all)."""

    code: int
    body: str
    error: str = ""  # curl's own reason when there was no answer, e.g. "Connection refused"


def http_get(host: Any, url: str, *options: str, timeout: int = CURL_TIMEOUT) -> HttpReply:
    """One GET by curl on ``host`` (a testinfra host); ``options`` are extra curl arguments."""
    extra = "".join(f"{shlex.quote(option)} " for option in options)
    result = host.run(f"curl -sS --max-time {timeout} {extra}-w '\\n%{{http_code}}' {shlex.quote(url)}")
    body, _, code = result.stdout.rpartition("\n")
    error = ""
    if result.rc != 0:
        lines = result.stderr.strip().splitlines()
        error = lines[-1][:200] if lines else f"curl exit code {result.rc}"
    return HttpReply(int(code) if code.strip().isdigit() else 0, body.strip(), error)
