"""Signed evidence of a grade: what was checked, what each check saw, and the score.

A bundle is ``{"payload": {...}, "signature": {"algorithm": "ed25519", "public_key", "value"}}``.
The signature covers the canonical JSON of the payload (sorted keys, no spaces, UTF-8). The
key lives in the state folder (``keys/evidence-ed25519.pem``, mode 0600), created on first use.
``verify`` trusts a bundle only if its signature is valid, it was signed by a trusted key, and
the rubric it was graded with is byte-for-byte the rubric in this checkout.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cloudlab.errors import CloudlabError
from cloudlab.grading.score import Score
from cloudlab.scenarios.loader import LoadedScenario
from cloudlab.scenarios.params import secret_values
from cloudlab.state import atomic_write_text, now_iso

FORMAT = "cloudlab-evidence/1"
MASK = "********"


def rubric_hash(scenario: LoadedScenario) -> str:
    """sha256 over scenario.yml and every rubric file, with their relative paths."""
    digest = hashlib.sha256()
    files = [scenario.folder / "scenario.yml", *sorted(scenario.rubric_dir.rglob("*.py"))]
    for path in files:
        if "__pycache__" in path.parts:
            continue
        digest.update(str(path.relative_to(scenario.folder)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_path(home: Path) -> Path:
    return home / "keys" / "evidence-ed25519.pem"


def load_or_create_key(home: Path) -> Ed25519PrivateKey:
    path = key_path(home)
    if not path.is_file():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        with contextlib.suppress(FileExistsError):  # never replace a key another command just made
            os.link(temporary, path)
        temporary.unlink()
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CloudlabError(f"{path}: not an Ed25519 private key; move it away and a new one is created")
    return key


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def masked_params(scenario: LoadedScenario, params: dict[str, Any]) -> dict[str, Any]:
    return {
        name: MASK if name in scenario.model.params and scenario.model.params[name].secret else value
        for name, value in params.items()
    }


def mask_secrets(value: Any, secrets: list[str]) -> Any:
    """Replace secret values anywhere in strings of a JSON-like structure."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, list):
        return [mask_secrets(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: mask_secrets(item, secrets) for key, item in value.items()}
    return value


def build_payload(
    score: Score, scenario: LoadedScenario, params: dict[str, Any], *, mode: str, started: str, candidate: str
) -> dict[str, Any]:
    secrets = sorted((v for v in secret_values(scenario.model, params) if len(v) >= 4), key=len, reverse=True)
    payload = {
        "format": FORMAT,
        "scenario": {"id": scenario.id, "version": scenario.model.version, "rubric_hash": rubric_hash(scenario)},
        "lab": score.lab,
        "candidate": candidate,
        "mode": mode,
        "params": masked_params(scenario, params),
        "started": started,
        "finished": now_iso(),
        "checks": [
            {
                "id": check.id,
                "points": check.points,
                "earned": check.earned,
                "outcome": check.outcome,
                "skills": list(check.skills),
                "hidden": check.hidden,
                "message": {"zh": check.message("zh"), "en": check.message("en")},
                "started": check.started_at,
                "seconds": check.seconds,
                "observations": [observation.to_json() for observation in check.observations],
            }
            for check in score.checks
        ],
        "score": score.score,
        "max": score.max,
        "percent": score.percent,
        "pass_mark": score.pass_mark,
        "passed": score.passed,
    }
    return dict(mask_secrets(payload, secrets))


def sign(payload: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return {
        "payload": payload,
        "signature": {
            "algorithm": "ed25519",
            "public_key": public_key_text(key.public_key()),
            "value": base64.b64encode(key.sign(canonical(payload))).decode(),
        },
    }


def write_bundle(path: Path, bundle: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(bundle, ensure_ascii=False, indent=2) + "\n")


@dataclass
class Verdict:
    """What ``verify-result`` found; ``ok`` only if every part holds."""

    lines: list[str] = field(default_factory=list)
    ok: bool = True

    def fail(self, line: str) -> None:
        self.ok = False
        self.lines.append("ALTERED: " + line)

    def good(self, line: str) -> None:
        self.lines.append("ok: " + line)


def verify_bundle(bundle: Any, trusted: list[str], scenario: LoadedScenario | None) -> Verdict:
    verdict = Verdict()
    try:
        payload, signature = bundle["payload"], bundle["signature"]
        public = base64.b64decode(signature["public_key"], validate=True)
        value = base64.b64decode(signature["value"], validate=True)
        if signature.get("algorithm") != "ed25519":
            raise ValueError("not ed25519")
    except (KeyError, TypeError, ValueError):
        verdict.fail("this is not a cloudlab evidence bundle (payload/signature missing or malformed)")
        return verdict
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(value, canonical(payload))
        verdict.good("the signature matches the content")
    except (InvalidSignature, ValueError):
        verdict.fail("the content does not match its signature: the result was changed after grading")
    if signature["public_key"] in trusted:
        verdict.good("signed by a trusted key")
    else:
        verdict.fail("signed by a key that is not trusted here (not this state folder's key nor a --public-key)")
    if scenario is None:
        verdict.fail(
            f"scenario {payload.get('scenario', {}).get('id')!r} is not in this checkout; cannot compare its rubric"
        )
    elif payload.get("scenario", {}).get("rubric_hash") == rubric_hash(scenario):
        verdict.good(f"graded with this checkout's rubric of {scenario.id} ({rubric_hash(scenario)[:19]}…)")
    else:
        verdict.fail(f"the rubric of {scenario.id} differs from the one the result was graded with")
    return verdict
