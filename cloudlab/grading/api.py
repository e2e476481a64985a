"""What a rubric file uses: the ``@check`` decorator, ``Fail``, ``expect`` and ``wait_until``.

A rubric is a pytest file under ``scenarios/<id>/rubric/``. Each test function is decorated
with ``@check(...)``, which attaches the metadata the grader reports (id, points, skill codes,
bilingual title). A check fails by raising ``Fail`` with a reason in zh and en; any other
exception is reported as a failure with the exception text, never as a crash of the grader.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

CHECK_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SKILL_CODE = re.compile(r"^\d+\.\d+\.\d+$")
LEVELS = ("初级", "中级", "高级")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Text:
    """A message in the candidate's language and in English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @classmethod
    def of(cls, value: Text | dict[str, str]) -> Text:
        if isinstance(value, Text):
            return value
        if set(value) != {"zh", "en"} or not all(isinstance(v, str) and v for v in value.values()):
            raise ValueError("a message needs exactly the keys 'zh' and 'en', both non-empty text")
        return cls(zh=value["zh"], en=value["en"])


@dataclass(frozen=True)
class CheckSpec:
    """The metadata of one check, as declared by ``@check``."""

    id: str
    points: int
    skills: tuple[str, ...]
    title: Text
    hint: Text | None = None
    wait: float = 0.0
    hidden: bool = False
    partial: bool = False
    level: str | None = None

    def applies_at(self, rank: int) -> bool:
        """Whether this check exists in a lab of level rank ``rank`` (初级 1 … 高级 3)."""
        return self.level is None or LEVELS.index(self.level) + 1 <= rank


class Fail(Exception):  # noqa: N818 - reads as "raise Fail(...)" in rubric files
    """Raised by a check: the observed behaviour is wrong; the reason is shown to the candidate."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.reason = Text(zh=zh, en=en)


@dataclass(frozen=True)
class Partial:
    """Returned by a ``partial=True`` check that earned only some of its points."""

    earned: int
    reason: Text = field(default_factory=lambda: Text("部分完成", "partly done"))


def expect(condition: object, zh: str, en: str) -> None:
    """Fail the check with the given reason unless ``condition`` is true."""
    if not condition:
        raise Fail(zh=zh, en=en)


def check(
    *,
    id: str,  # noqa: A002 - the rubric's vocabulary
    points: int,
    skills: list[str] | tuple[str, ...],
    title: Text | dict[str, str],
    hint: Text | dict[str, str] | None = None,
    wait: float = 0.0,
    hidden: bool = False,
    partial: bool = False,
    level: str | None = None,
) -> Callable[[F], F]:
    """Declare a test function as a graded check.

    ``wait`` retries a failing check for up to that many seconds (for systems that converge,
    such as failover or replication) before its failure counts. ``level`` (初级/中级/高级)
    limits the check to labs of that level or above, so one scenario serves several levels.
    """
    if not CHECK_ID.match(id):
        raise ValueError(f"check id {id!r} must be kebab-case (a-z, 0-9 and single dashes)")
    if not isinstance(points, int) or points <= 0:
        raise ValueError(f"check {id!r}: points must be a whole number above 0, not {points!r}")
    bad = [code for code in skills if not SKILL_CODE.match(code)]
    if not skills or bad:
        raise ValueError(f"check {id!r}: skills must be codes like '2.2.3', got {list(skills)!r}")
    if level is not None and level not in LEVELS:
        raise ValueError(f"check {id!r}: level must be one of {', '.join(LEVELS)}, not {level!r}")
    spec = CheckSpec(
        id=id,
        points=points,
        skills=tuple(skills),
        title=Text.of(title),
        hint=Text.of(hint) if hint is not None else None,
        wait=float(wait),
        hidden=hidden,
        partial=partial,
        level=level,
    )

    def decorate(function: F) -> F:
        function.cloudlab_check = spec  # type: ignore[attr-defined]
        return function

    return decorate


def wait_until(probe: Callable[[], bool], timeout: float, interval: float = 1.0) -> bool:
    """Call ``probe`` until it returns true or ``timeout`` seconds pass; return its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        if probe():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
