"""The skill codes of the standard that labs and checks may name, with their titles."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml


@cache
def skill_titles() -> dict[str, dict[str, str]]:
    text = (resources.files(__name__) / "skills.yml").read_text(encoding="utf-8")
    return {str(code): dict(title) for code, title in yaml.safe_load(text).items()}


def is_known_skill(code: str) -> bool:
    return code in skill_titles()


def skill_title(code: str, lang: str) -> str:
    return skill_titles().get(code, {}).get(lang, code)
