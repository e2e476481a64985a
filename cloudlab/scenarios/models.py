"""The scenario.yml schema as strict pydantic models (unknown keys are errors)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cloudlab.standard import is_known_skill

NAME = r"^[a-z][a-z0-9-]{0,30}$"
PARAM_NAME = r"^[a-z][a-z0-9_]{0,40}$"
SKILL_CODE = r"^\d+\.\d+\.\d+$"
LEVELS = ("初级", "中级", "高级")
Level = Literal["初级", "中级", "高级"]


def level_rank(level: str) -> int:
    """初级 1, 中级 2, 高级 3: a check or fault of rank N exists in labs of rank N and above."""
    return LEVELS.index(level) + 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(Strict):
    """Text every candidate reads exists in Chinese and English."""

    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Network(Strict):
    """A Docker network of the lab. ``internal`` networks have no route off the machine.

    Docker drops every packet on an internal network whose source or destination lies outside
    the network's own subnet (its isolation rules also see bridged traffic), so hosts there may
    only use Docker's addresses and no lab host can route through it. Routing labs use normal
    networks and remove Docker's default route on the hosts instead (role ``realhost``); lab
    networks stay isolated from each other either way. A host's interfaces are named in the
    order of the network names (eth0 = first name alphabetically), stable across restarts.
    """

    name: Annotated[str, Field(pattern=NAME)]
    internal: bool = False


class HostSpec(Strict):
    """One lab host: a systemd container on the image, joined to the listed networks."""

    name: Annotated[str, Field(pattern=NAME)]
    networks: list[Annotated[str, Field(pattern=NAME)]] = Field(default_factory=lambda: ["lab"])
    devices: list[Literal["fuse", "tun"]] = Field(default_factory=list)
    role: Bilingual | None = None


class Generator(Strict):
    """How a per-seat value is drawn: a password, a word from a list, or a whole number."""

    kind: Literal["password", "choice", "integer"]
    length: Annotated[int, Field(ge=6, le=64)] = 12
    choices: list[str] = Field(default_factory=list)
    min: int = 0
    max: int = 0

    @model_validator(mode="after")
    def _complete(self) -> Generator:
        if self.kind == "choice" and not self.choices:
            raise ValueError("kind 'choice' needs a non-empty 'choices' list")
        if self.kind == "integer" and self.max <= self.min:
            raise ValueError("kind 'integer' needs 'max' greater than 'min'")
        return self


class Param(Strict):
    """A value the playbooks and the task sheet see: fixed (``default``) or drawn per seed."""

    description: Bilingual
    default: str | int | None = None
    generate: Generator | None = None
    secret: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> Param:
        if (self.default is None) == (self.generate is None):
            raise ValueError("give exactly one of 'default' or 'generate'")
        return self


class Fault(Strict):
    """A playbook under ``faults/<name>.yml`` that breaks a solved lab, and the checks it breaks."""

    description: Bilingual
    breaks: Annotated[list[str], Field(min_length=1)]
    level: Level | None = Field(default=None, description="used only in labs of this level or above")


class Scenario(Strict):
    """A lab: hosts and networks, parameters, and what a pass means."""

    id: Annotated[str, Field(pattern=NAME)]
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    title: Bilingual
    summary: Bilingual
    level: Level
    levels: list[Level] = Field(default_factory=list, description="levels offered; the first is the default")
    skills: Annotated[list[Annotated[str, Field(pattern=SKILL_CODE)]], Field(min_length=1)]
    time_limit: Annotated[int, Field(ge=5, le=480, description="minutes")]
    pass_mark: Annotated[int, Field(ge=1, le=100, description="percent")]
    networks: list[Network] = Field(default_factory=lambda: [Network(name="lab")])
    hosts: Annotated[list[HostSpec], Field(min_length=1)]
    params: dict[Annotated[str, Field(pattern=PARAM_NAME)], Param] = Field(default_factory=dict)
    baseline: list[str] = Field(default_factory=list, description="check ids setup alone satisfies")
    faults: dict[Annotated[str, Field(pattern=NAME)], Fault] = Field(default_factory=dict)

    @field_validator("skills")
    @classmethod
    def _known_skills(cls, skills: list[str]) -> list[str]:
        unknown = [code for code in skills if not is_known_skill(code)]
        if unknown:
            raise ValueError(
                f"unknown skill code(s) {', '.join(unknown)}; known codes are in cloudlab/standard/skills.yml"
            )
        return skills

    @field_validator("hosts")
    @classmethod
    def _unique_hosts(cls, hosts: list[HostSpec]) -> list[HostSpec]:
        names = [host.name for host in hosts]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"host names must be unique; repeated: {', '.join(duplicates)}")
        return hosts

    @model_validator(mode="after")
    def _networks_known(self) -> Scenario:
        known = {network.name for network in self.networks}
        for host in self.hosts:
            unknown = [name for name in host.networks if name not in known]
            if unknown:
                raise ValueError(
                    f"host {host.name!r} joins network(s) {', '.join(unknown)} that 'networks' "
                    f"does not declare (declared: {', '.join(sorted(known))})"
                )
        return self

    @model_validator(mode="after")
    def _levels_ordered(self) -> Scenario:
        ranks = [level_rank(level) for level in self.levels]
        if ranks != sorted(set(ranks)):
            raise ValueError(
                f"'levels' must list distinct levels from low to high, like [初级, 中级]; got {self.levels}"
            )
        if self.levels and self.levels[0] != self.level:
            raise ValueError(f"'level' ({self.level}) must be the first (lowest) entry of 'levels' {self.levels}")
        for name, fault in self.faults.items():
            if fault.level is not None and fault.level not in self.offered_levels():
                raise ValueError(f"fault {name!r} has level {fault.level}, which 'levels' does not offer")
        return self

    def offered_levels(self) -> list[str]:
        """The levels a lab of this scenario can be brought up at, lowest first."""
        return list(self.levels) or [self.level]

    def host_names(self) -> list[str]:
        return [host.name for host in self.hosts]


def is_kebab(value: str) -> bool:
    return re.match(NAME, value) is not None
