"""The lab lifecycle: up, solve, fault, grade, reset, down. Each holds the lab's lock.

States a lab record moves through::

    creating → setting-up → ready ⇄ solved / faulted
                    └→ setup-failed (inspectable; rerunning ``up`` converges)
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cloudlab.errors import LabError, PlaybookFailedError
from cloudlab.evidence import build_payload, load_or_create_key, sign, write_bundle
from cloudlab.grading.context import LabContext
from cloudlab.grading.engine import grade as grade_rubric
from cloudlab.grading.score import Score
from cloudlab.grading.validate import validate_rubric
from cloudlab.levels import lab_facts, lab_level, resolve_level
from cloudlab.providers.base import HostStatus, Provider, Provisioned, ProvisionedHost
from cloudlab.runner.events import Progress
from cloudlab.runner.result import PlayResult
from cloudlab.runner.run import run_playbook
from cloudlab.scenarios.loader import Catalog, LoadedScenario
from cloudlab.scenarios.params import seat_params, secret_values
from cloudlab.state import HostRecord, LabRecord, StateStore, now_iso

READY_STATES = {"ready", "solved", "faulted"}
ImageSource = Callable[[], str]


@dataclass
class LabStatus:
    record: LabRecord
    hosts: list[HostStatus]


class LabService:
    """Runs one lifecycle step at a time against the state store and a provider."""

    def __init__(
        self,
        catalog: Catalog,
        store: StateStore,
        provider: Provider,
        roles_path: Path,
        image: ImageSource,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.provider = provider
        self.roles_path = roles_path
        self.image = image
        self.on_progress = on_progress

    # -- helpers ------------------------------------------------------------------------
    def _scenario_of(self, record: LabRecord) -> LoadedScenario:
        return self.catalog.get(record.scenario)

    def _run(self, record: LabRecord, scenario: LoadedScenario, playbook: Path, kind: str) -> PlayResult:
        result = run_playbook(
            playbook,
            record.containers(),
            {**record.params, **lab_facts(record, scenario)},
            roles_path=self.roles_path,
            keep_in=self.store.new_run_dir(record.lab, kind),
            secrets=secret_values(scenario.model, record.params),
            on_progress=self.on_progress,
        )
        if not result.ok:
            details = (
                "\n  ".join(f.describe() for f in result.failures)
                or f"ansible-runner status {result.status}, rc {result.rc}"
            )
            raise PlaybookFailedError(
                f"{playbook.name} failed on lab {record.lab!r}:\n  {details}\n(artifacts: {result.artifact_dir})"
            )
        return result

    def _require_ready(self, lab: str) -> LabRecord:
        record = self.store.load(lab)
        if record.state not in READY_STATES:
            raise LabError(
                f"lab {lab!r} is {record.state}, not ready; rerun 'cloudlab up {record.scenario} --lab {lab}' to finish it, or 'cloudlab down {lab}'"
            )
        return record

    @staticmethod
    def _provisioned(record: LabRecord) -> Provisioned:
        hosts = [ProvisionedHost(h.name, h.container, h.address, dict(h.addresses)) for h in record.hosts]
        return Provisioned(hosts=hosts, networks=dict(record.networks))

    # -- lifecycle ----------------------------------------------------------------------
    def up(
        self, scenario_id: str, lab: str | None = None, seed: int | None = None, level: str | None = None
    ) -> tuple[LabRecord, PlayResult]:
        """Create the hosts and run setup. An unfinished lab of the same name is converged."""
        scenario = self.catalog.get(scenario_id)
        level = resolve_level(scenario, level)
        validate_rubric(scenario)  # a broken rubric is reported before any host exists
        name = lab or scenario.id
        with self.store.locked(name):
            record = self.store.load(name) if self.store.exists(name) else None
            if record is not None and record.state in READY_STATES:
                raise LabError(
                    f"lab {name!r} already exists ({record.state}); use 'cloudlab reset {name}' to start it over or 'cloudlab down {name}' to remove it"
                )
            if record is not None and record.scenario != scenario.id:
                raise LabError(
                    f"lab {name!r} belongs to scenario {record.scenario!r}; remove it with 'cloudlab down {name}' or choose another --lab"
                )
            if record is not None and record.level and record.level != level:
                raise LabError(
                    f"lab {name!r} was started at level {record.level}, not {level}; remove it with 'cloudlab down {name}' first"
                )
            if record is None or record.state == "creating" or len(self.provider.describe(name)) != len(record.hosts):
                record = self._create(scenario, name, self._seed(seed, record), level)
            record.state = "setting-up"
            self.store.save(record)
            try:
                result = self._run(record, scenario, scenario.playbook("setup"), "setup")
            except BaseException:
                record.state = "setup-failed"
                self.store.save(record)
                raise
            self.provider.snapshot(name)
            record.state = "ready"
            self.store.save(record)
            return record, result

    @staticmethod
    def _seed(requested: int | None, record: LabRecord | None) -> int:
        """The seat's seed: as asked, as before when converging, else a fresh random one."""
        if requested is not None:
            return requested
        return record.seed if record is not None else secrets.randbelow(1_000_000)

    def _create(self, scenario: LoadedScenario, name: str, seed: int, level: str) -> LabRecord:
        """Fresh hosts for a lab; on any failure or interrupt nothing is left behind."""
        self.provider.destroy(name)  # leftovers of an interrupted attempt
        image = self.image()
        record = LabRecord(
            lab=name,
            scenario=scenario.id,
            scenario_version=scenario.model.version,
            seed=seed,
            params=seat_params(scenario.model, seed),
            state="creating",
            image=image,
            level=level,
        )
        self.store.save(record)
        try:
            provisioned = self.provider.create(name, scenario.model, image)
        except BaseException:
            self.provider.destroy(name)
            self.store.remove(name)
            raise
        record.hosts = [HostRecord(h.name, h.container, h.address, dict(h.addresses)) for h in provisioned.hosts]
        record.networks = dict(provisioned.networks)
        return record

    def solve(self, lab: str) -> PlayResult:
        with self.store.locked(lab):
            record = self._require_ready(lab)
            scenario = self._scenario_of(record)
            result = self._run(record, scenario, scenario.playbook("solve"), "solve")
            record.state = "solved"
            self.store.save(record)
            return result

    def fault(self, lab: str, fault: str) -> PlayResult:
        with self.store.locked(lab):
            record = self._require_ready(lab)
            scenario = self._scenario_of(record)
            if fault not in scenario.model.faults:
                known = ", ".join(scenario.model.faults) or "none"
                raise LabError(f"scenario {scenario.id!r} has no fault {fault!r}; its faults: {known}")
            result = self._run(record, scenario, scenario.fault_playbook(fault), f"fault-{fault}")
            record.state = "faulted"
            self.store.save(record)
            return result

    def grade(self, lab: str) -> Score:
        return self.grade_with_evidence(lab)[0]

    def grade_with_evidence(
        self, lab: str, evidence: Path | None = None, mode: str = "practice", candidate: str | None = None
    ) -> tuple[Score, Path]:
        """Grade and write the signed evidence bundle (into the lab's folder unless a path is given)."""
        with self.store.locked(lab):
            record = self._require_ready(lab)
            scenario = self._scenario_of(record)
            started = now_iso()
            score = grade_rubric(
                lab=lab,
                rubric_dir=scenario.rubric_dir,
                context=self.grading_context(record, scenario),
                pass_mark=scenario.model.pass_mark,
            )
            payload = build_payload(
                score, scenario, record.params, mode=mode, started=started, candidate=candidate or lab
            )
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = evidence or self.store.lab_dir(lab) / "evidence" / f"{stamp}-grade.json"
            write_bundle(path, sign(payload, load_or_create_key(self.store.home)))
            return score, path

    def grading_context(self, record: LabRecord, scenario: LoadedScenario) -> LabContext:
        return LabContext(
            scenario=scenario.id,
            containers=record.containers(),
            params=record.params,
            level=lab_level(record, scenario),
            addresses={host.name: dict(host.addresses) for host in record.hosts},
            subnets=dict(record.networks),
            controls=self.provider,
        )

    def checkpoint(self, lab: str, stage: str) -> None:
        """Snapshot the lab as it is now under ``stage`` (selftest keeps a solved lab this way)."""
        with self.store.locked(lab):
            self._require_ready(lab)
            self.provider.snapshot(lab, stage)

    def reset(self, lab: str, stage: str = "setup") -> LabRecord:
        """Back to the state right after setup (or to another ``checkpoint`` stage)."""
        with self.store.locked(lab):
            record = self.store.load(lab)
            if not self.provider.has_snapshot(lab, stage):
                raise LabError(
                    f"lab {lab!r} has no post-{stage} snapshot yet; finish it with 'cloudlab up {record.scenario} --lab {lab}'"
                )
            scenario = self._scenario_of(record)
            self.provider.restore(lab, scenario.model, self._provisioned(record), stage)
            record.state = "ready" if stage == "setup" else stage
            self.store.save(record)
            return record

    def down(self, lab: str) -> list[str]:
        with self.store.locked(lab):
            known = self.store.exists(lab)
            removed = self.provider.destroy(lab)
            if not known and not removed:
                labs = ", ".join(self.store.lab_names()) or "none"
                raise LabError(f"no lab named {lab!r}; existing labs: {labs}")
            self.store.remove(lab)
            return removed

    def status(self, lab: str | None = None) -> list[LabStatus]:
        names = [lab] if lab else self.store.lab_names()
        return [LabStatus(self.store.load(name), self.provider.describe(name)) for name in names]
