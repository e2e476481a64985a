"""Grade hosts that cloudlab did not create (Molecule's verify step uses this).

    python -m cloudlab.grading lb-haproxy --container lb1=lb1 ... --param stats_user=x \
        --require-percent 100

Exits 0 when the score reaches ``--require-percent`` (default: the scenario's pass mark).
"""

from __future__ import annotations

import argparse
import json
import sys

from cloudlab.errors import CloudlabError
from cloudlab.grading.context import LabContext
from cloudlab.grading.engine import grade
from cloudlab.levels import resolve_level
from cloudlab.paths import scenarios_dir
from cloudlab.providers.docker import DockerProvider
from cloudlab.reporting.terminal import render_score
from cloudlab.scenarios.loader import Catalog
from cloudlab.scenarios.params import seat_params


def pairs(values: list[str], what: str) -> dict[str, str]:
    parsed = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise CloudlabError(f"--{what} {value!r}: write it as NAME=VALUE")
        parsed[key] = rest
    return parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cloudlab.grading", description=__doc__)
    parser.add_argument("scenario")
    parser.add_argument("--container", action="append", default=[], help="HOST=CONTAINER, once per lab host")
    parser.add_argument("--param", action="append", default=[], help="NAME=VALUE, overrides the seed's value")
    parser.add_argument("--network", action="append", default=[], help="NETWORK=DOCKER_NETWORK, per lab network")
    parser.add_argument("--level", default=None, help="the lab's level (default: the scenario's lowest)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lang", choices=["zh", "en"], default="en")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--require-percent", type=float, default=None)
    options = parser.parse_args(argv)
    try:
        scenario = Catalog(scenarios_dir()).get(options.scenario)
        containers = pairs(options.container, "container")
        missing = [name for name in scenario.model.host_names() if name not in containers]
        if missing:
            raise CloudlabError(f"no --container given for host(s) {', '.join(missing)} of {scenario.id}")
        params = seat_params(scenario.model, options.seed)
        for name, value in pairs(options.param, "param").items():
            if name not in params:
                raise CloudlabError(f"--param {name}: {scenario.id} has no such parameter ({', '.join(params)})")
            params[name] = int(value) if isinstance(params[name], int) else value
        provider = DockerProvider()
        addresses, subnets = provider.inspect_addresses(containers, pairs(options.network, "network"))
        context = LabContext(
            scenario=scenario.id,
            containers=containers,
            params=params,
            level=resolve_level(scenario, options.level),
            addresses=addresses,
            subnets=subnets,
            controls=provider,
        )
        score = grade(
            lab=f"{scenario.id}-verify",
            rubric_dir=scenario.rubric_dir,
            context=context,
            pass_mark=scenario.model.pass_mark,
        )
    except CloudlabError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    if options.json:
        print(json.dumps(score.to_json(options.lang), ensure_ascii=False, indent=2))
    else:
        print(render_score(score, options.lang))
    required = options.require_percent
    reached = score.passed if required is None else score.percent >= required
    return 0 if reached else 1


if __name__ == "__main__":
    sys.exit(main())
