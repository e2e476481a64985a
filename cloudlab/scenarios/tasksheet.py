"""Render a scenario's task sheet in the candidate's language with the seat's parameters."""

from __future__ import annotations

from typing import Any

import jinja2

from cloudlab.errors import ScenarioError
from cloudlab.scenarios.loader import LoadedScenario
from cloudlab.scenarios.models import level_rank


def render_task_sheet(
    scenario: LoadedScenario, lang: str, params: dict[str, Any], level: str = "", facts: dict[str, Any] | None = None
) -> str:
    """The sheet for one seat; ``level`` (default: the scenario's lowest) selects the level's tasks.

    ``facts`` are a running lab's facts (``cloudlab_subnets``, ``cloudlab_hosts``, ...), the same the
    playbooks get; a sheet for a scenario without a lab has none, so templates test ``is defined``.
    """
    level = level or scenario.model.level
    path = scenario.folder / f"task.{lang}.md"
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)  # noqa: S701 - Markdown, not HTML
    try:
        template = environment.from_string(path.read_text(encoding="utf-8"))
        return template.render(
            **(facts or {}), **params, scenario=scenario.model, level=level, level_rank=level_rank(level)
        )
    except jinja2.TemplateSyntaxError as error:
        raise ScenarioError(f"{path}: line {error.lineno}: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise ScenarioError(f"{path}: {error.message}; declare it under params in scenario.yml") from None
