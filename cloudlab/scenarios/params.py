"""Per-seat parameters: defaults, or values drawn reproducibly from the seat's seed."""

from __future__ import annotations

import random
import string
from typing import Any

from cloudlab.scenarios.models import Generator, Scenario

# No look-alike characters (0/O, 1/l/I): candidates type these from a printed task sheet.
PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


def draw(generator: Generator, rng: random.Random) -> str | int:
    if generator.kind == "password":
        return "".join(rng.choice(PASSWORD_ALPHABET) for _ in range(generator.length))
    if generator.kind == "choice":
        return rng.choice(generator.choices)
    return rng.randint(generator.min, generator.max)


def seat_params(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The same scenario and seed always give the same values; each param has its own stream."""
    values: dict[str, Any] = {}
    for name, param in scenario.params.items():
        if param.generate is None:
            values[name] = param.default
        else:
            values[name] = draw(param.generate, random.Random(f"{scenario.id}:{seed}:{name}"))
    return values


def secret_values(scenario: Scenario, params: dict[str, Any]) -> list[str]:
    """Values to scrub from logs and artifacts."""
    return [str(params[name]) for name, p in scenario.params.items() if p.secret and name in params]
