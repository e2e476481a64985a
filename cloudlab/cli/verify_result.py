"""``cloudlab verify-result``: was this evidence bundle altered since it was signed?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cloudlab.cli.common import catalog, handle_errors
from cloudlab.errors import CloudlabError, ScenarioError
from cloudlab.evidence import key_path, load_or_create_key, public_key_text, verify_bundle
from cloudlab.state import StateStore


@click.command("verify-result")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key", "public_keys", multiple=True, help="Also trust this base64 Ed25519 public key (an exam rig's)."
)
@handle_errors
def verify_result_command(file: Path, public_keys: tuple[str, ...]) -> None:
    """Check FILE's signature, signer and rubric hash; exit 0 only if nothing was altered."""
    try:
        bundle = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise CloudlabError(f"{file}: not a JSON evidence bundle ({error})") from None
    trusted = list(public_keys)
    home = StateStore().home
    if key_path(home).is_file():
        trusted.append(public_key_text(load_or_create_key(home).public_key()))
    scenario_id = (
        str(((bundle.get("payload") or {}).get("scenario") or {}).get("id", "")) if isinstance(bundle, dict) else ""
    )
    try:
        scenario = catalog().get(scenario_id) if scenario_id else None
    except ScenarioError:
        scenario = None
    verdict = verify_bundle(bundle, trusted, scenario)
    for line in verdict.lines:
        click.echo(line)
    if verdict.ok:
        payload = bundle["payload"]
        click.echo(
            f"VALID: {file} is unaltered — {payload['lab']}: {payload['score']}/{payload['max']} ({payload['percent']}%)"
        )
    else:
        click.echo(f"INVALID: {file} was altered or cannot be trusted")
    sys.exit(0 if verdict.ok else 1)
