"""Per-seat parameters: reproducible from (scenario, seed), different between seats, typeable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from cloudlab.scenarios.models import Generator, Param, Scenario
from cloudlab.scenarios.params import PASSWORD_ALPHABET, seat_params, secret_values

LOOK_ALIKES = "0O1lI"


def scenario(params: dict[str, Any], scenario_id: str = "demo") -> Scenario:
    return Scenario.model_validate(
        {
            "id": scenario_id,
            "version": "1.0.0",
            "title": {"zh": "演示", "en": "Demo"},
            "summary": {"zh": "演示", "en": "Demo"},
            "level": "初级",
            "skills": ["1.2.4"],
            "time_limit": 30,
            "pass_mark": 60,
            "hosts": [{"name": "web1"}],
            "params": params,
        }
    )


def described(**fields: Any) -> dict[str, Any]:
    return {"description": {"zh": "说明", "en": "description"}, **fields}


SEAT = scenario(
    {
        "db_user": described(default="app"),
        "db_port": described(default=5432),
        "db_password": described(generate={"kind": "password", "length": 16}, secret=True),
        "api_token": described(generate={"kind": "password"}, secret=True),
        "color": described(generate={"kind": "choice", "choices": ["red", "green", "blue", "cyan"]}),
        "vlan": described(generate={"kind": "integer", "min": 100, "max": 4000}),
    }
)


def test_same_scenario_and_seed_give_the_same_values() -> None:
    """``cloudlab up --seed N`` twice must give a student the same passwords both times."""
    assert seat_params(SEAT, 7) == seat_params(SEAT, 7)


def test_values_survive_a_new_interpreter() -> None:
    """Seeds are strings hashed by random.Random, not hash(): PYTHONHASHSEED must not matter."""
    code = (
        "import json, sys; from cloudlab.scenarios.models import Scenario;"
        "from cloudlab.scenarios.params import seat_params;"
        "print(json.dumps(seat_params(Scenario.model_validate_json(sys.stdin.read()), 7)))"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            input=SEAT.model_dump_json(),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == seat_params(SEAT, 7)


def test_different_seeds_give_different_passwords() -> None:
    """Neighbouring seats must not be able to copy each other's credentials."""
    passwords = {seat_params(SEAT, seed)["db_password"] for seed in range(50)}
    assert len(passwords) == 50


def test_each_param_has_its_own_stream() -> None:
    """Two password params of one seat differ, and adding a param does not change the others."""
    values = seat_params(SEAT, 3)
    assert values["db_password"][:12] != values["api_token"]
    smaller = scenario({"db_password": described(generate={"kind": "password", "length": 16}, secret=True)})
    assert seat_params(smaller, 3)["db_password"] == values["db_password"]


def test_scenario_id_is_part_of_the_seed() -> None:
    """Seat 1 of two different labs gets different passwords."""
    params = {"db_password": described(generate={"kind": "password"}, secret=True)}
    assert seat_params(scenario(params, "lab-a"), 1) != seat_params(scenario(params, "lab-b"), 1)


def test_defaults_are_passed_through_with_their_type() -> None:
    """A port stays an integer: playbooks and templates compare it as a number."""
    values = seat_params(SEAT, 0)
    assert values["db_user"] == "app"
    assert values["db_port"] == 5432


def test_password_alphabet_has_no_look_alikes() -> None:
    """Candidates copy passwords from a printed task sheet: 0/O and 1/l/I are ambiguous."""
    assert not set(LOOK_ALIKES) & set(PASSWORD_ALPHABET)
    assert len(set(PASSWORD_ALPHABET)) == len(PASSWORD_ALPHABET) == 62 - len(LOOK_ALIKES)
    drawn = "".join(seat_params(SEAT, seed)["db_password"] for seed in range(200))
    assert set(drawn) <= set(PASSWORD_ALPHABET)
    assert not set(LOOK_ALIKES) & set(drawn)


def test_password_length() -> None:
    values = seat_params(SEAT, 11)
    assert len(values["db_password"]) == 16
    assert len(values["api_token"]) == 12  # the default length


def test_choice_generator_draws_from_its_list() -> None:
    drawn = {seat_params(SEAT, seed)["color"] for seed in range(100)}
    assert drawn == {"red", "green", "blue", "cyan"}


def test_integer_generator_stays_within_bounds() -> None:
    """Both bounds are possible values (randint), and the value is an int, not a string."""
    drawn = [seat_params(SEAT, seed)["vlan"] for seed in range(300)]
    assert all(isinstance(value, int) and 100 <= value <= 4000 for value in drawn)
    assert len(set(drawn)) > 200
    tiny = scenario({"bit": described(generate={"kind": "integer", "min": 0, "max": 1})})
    assert {seat_params(tiny, seed)["bit"] for seed in range(60)} == {0, 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "choice"}, "kind 'choice' needs a non-empty 'choices' list"),
        ({"kind": "integer", "min": 5, "max": 5}, "kind 'integer' needs 'max' greater than 'min'"),
        ({"kind": "password", "length": 5}, "greater than or equal to 6"),
        ({"kind": "uuid"}, "Input should be 'password', 'choice' or 'integer'"),
    ],
)
def test_generator_rejects_incomplete_definitions(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Generator.model_validate(fields)


def test_param_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="give exactly one of 'default' or 'generate'"):
        Param.model_validate(described())


def test_secret_values_are_the_secret_params_as_text() -> None:
    """What the runner scrubs from artifacts: secret params only, stringified."""
    values = seat_params(SEAT, 5)
    assert sorted(secret_values(SEAT, values)) == sorted([values["db_password"], values["api_token"]])
    numeric = scenario({"pin": described(default=123456, secret=True), "port": described(default=80)})
    assert secret_values(numeric, seat_params(numeric, 0)) == ["123456"]


def test_secret_values_ignore_params_missing_from_the_record() -> None:
    """An old lab record made before a secret param was added must not crash the scrubber."""
    values = seat_params(SEAT, 5)
    del values["api_token"]
    assert secret_values(SEAT, values) == [values["db_password"]]
