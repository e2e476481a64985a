"""Evidence bundles: signed, secrets masked, and any edit or foreign key or changed rubric is caught."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path

import pytest

from cloudlab.evidence import (
    build_payload,
    canonical,
    key_path,
    load_or_create_key,
    public_key_text,
    rubric_hash,
    sign,
    verify_bundle,
)
from cloudlab.grading.api import Text
from cloudlab.grading.context import Observation
from cloudlab.grading.score import CheckResult, Score
from cloudlab.scenarios.loader import Catalog, LoadedScenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def scenario() -> LoadedScenario:
    return Catalog(REPO / "scenarios").get("lb-haproxy")


def graded(password: str) -> Score:
    seen = Observation(
        "client", f"curl -u lbadmin:{password} http://lb1:8404/stats", 0, "200", "", "2026-11-28T00:00:00Z"
    )
    check = CheckResult(
        "stats-accepts-credentials", 2, 2, "pass", Text("统计页", "stats page"), ("1.2.6",), observations=(seen,)
    )
    return Score(lab="alice", scenario="lb-haproxy", pass_mark=60, checks=(check,))


def bundle_for(scenario: LoadedScenario, home: Path) -> dict[str, object]:
    params = {"stats_user": "lbadmin", "stats_password": "S3cretPassw0rd", "stats_port": 8404}
    payload = build_payload(graded("S3cretPassw0rd"), scenario, params, mode="exam", started="t0", candidate="Alice")
    return sign(payload, load_or_create_key(home))


def test_key_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_key(tmp_path)
    second = load_or_create_key(tmp_path)
    assert public_key_text(first.public_key()) == public_key_text(second.public_key())
    assert stat.S_IMODE(os.stat(key_path(tmp_path)).st_mode) == 0o600


def test_secrets_are_masked_everywhere(tmp_path: Path, scenario: LoadedScenario) -> None:
    bundle = bundle_for(scenario, tmp_path)
    text = canonical(bundle["payload"]).decode()  # type: ignore[arg-type]
    assert "S3cretPassw0rd" not in text
    assert '"stats_password":"********"' in text and "lbadmin:********" in text


def test_untouched_bundle_verifies(tmp_path: Path, scenario: LoadedScenario) -> None:
    bundle = bundle_for(scenario, tmp_path)
    trusted = [public_key_text(load_or_create_key(tmp_path).public_key())]
    verdict = verify_bundle(bundle, trusted, scenario)
    assert verdict.ok, verdict.lines


def test_edited_score_is_detected(tmp_path: Path, scenario: LoadedScenario) -> None:
    bundle = bundle_for(scenario, tmp_path)
    trusted = [public_key_text(load_or_create_key(tmp_path).public_key())]
    edited = copy.deepcopy(bundle)
    edited["payload"]["checks"][0]["earned"] = 3  # type: ignore[index]
    verdict = verify_bundle(edited, trusted, scenario)
    assert not verdict.ok and any("changed after grading" in line for line in verdict.lines)


def test_resigned_with_another_key_is_not_trusted(tmp_path: Path, scenario: LoadedScenario) -> None:
    bundle = bundle_for(scenario, tmp_path / "rig")
    forged = sign(bundle["payload"], load_or_create_key(tmp_path / "forger"))  # type: ignore[arg-type]
    trusted = [public_key_text(load_or_create_key(tmp_path / "rig").public_key())]
    verdict = verify_bundle(forged, trusted, scenario)
    assert not verdict.ok and any("not trusted" in line for line in verdict.lines)


def test_changed_rubric_is_detected(tmp_path: Path, scenario: LoadedScenario) -> None:
    bundle = bundle_for(scenario, tmp_path)
    bundle["payload"]["scenario"]["rubric_hash"] = "sha256:" + "0" * 64  # type: ignore[index]
    resigned = sign(bundle["payload"], load_or_create_key(tmp_path))  # type: ignore[arg-type]
    trusted = [public_key_text(load_or_create_key(tmp_path).public_key())]
    verdict = verify_bundle(resigned, trusted, scenario)
    assert not verdict.ok and any("rubric" in line for line in verdict.lines)


def test_garbage_is_not_a_bundle(scenario: LoadedScenario) -> None:
    verdict = verify_bundle({"hello": 1}, [], scenario)
    assert not verdict.ok and "not a cloudlab evidence bundle" in verdict.lines[0]


def test_rubric_hash_is_stable_and_content_sensitive(tmp_path: Path, scenario: LoadedScenario) -> None:
    import shutil

    copy_dir = tmp_path / "scenarios" / "lb-haproxy"
    shutil.copytree(scenario.folder, copy_dir)
    copied = Catalog(tmp_path / "scenarios").get("lb-haproxy")
    assert rubric_hash(copied) == rubric_hash(scenario)
    rubric = next(copied.rubric_dir.glob("test_*.py"))
    rubric.write_text(rubric.read_text() + "\n# edited\n")
    assert rubric_hash(copied) != rubric_hash(scenario)
