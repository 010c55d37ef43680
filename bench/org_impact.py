"""How the change impact of `org plan` scales with the number of accounts.

Builds a live organization in memory (the default blueprint applied: its OUs, SCPs and
attachments) with N accounts spread over the OUs, some with a policy of their own, then
times `plan_impact` for a plan that rewrites the HIPAA class SCP (deny-list: every HIPAA
account loses a service) and for a plan with no SCP change. No AWS: the snapshot is what
`read_live` and the impact's own reads would have returned.

    .venv/bin/python bench/org_impact.py [--accounts 100 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()

from vending.aws.types import (  # noqa: E402
    Organization,
    OrganizationalUnit,
    PolicySummary,
    Root,
)
from vending.blueprint.live import LiveOrg  # noqa: E402
from vending.blueprint.loader import load_blueprint  # noqa: E402
from vending.blueprint.model import FULL_AWS_ACCESS, PolicySpec  # noqa: E402
from vending.blueprint.plan import make_plan  # noqa: E402
from vending.selectors.org_impact import ImpactInputs, plan_impact  # noqa: E402

FULL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
OWN = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}'


def live_org(blueprint, accounts: int) -> tuple[LiveOrg, ImpactInputs]:
    """The blueprint applied, and `accounts` accounts round-robin over its OUs."""
    live = LiveOrg(
        organization=Organization("o-bench", "arn", "ALL", "000000000000", "m@example.com"),
        root=Root("r-1", "arn", "Root", ("SERVICE_CONTROL_POLICY",)),
    )
    policies = {
        FULL_AWS_ACCESS: PolicySummary("p-FullAWSAccess", "", FULL_AWS_ACCESS, "", "", True)
    }
    documents = {"p-FullAWSAccess": FULL}
    for i, (name, spec) in enumerate(blueprint.policies.items()):
        policies[name] = PolicySummary(f"p-{i}", "", name, "", "", False)
        documents[f"p-{i}"] = spec.content
    policies["own-no-ec2"] = PolicySummary("p-own", "", "own-no-ec2", "", "", False)
    documents["p-own"] = OWN
    live.policies = policies
    live.contents = {policies[n].id: documents[policies[n].id] for n in blueprint.policies}
    paths = [ou.path for ou in blueprint.walk()]
    for i, path in enumerate(paths):
        live.ous[path] = OrganizationalUnit(f"ou-{i}", "arn", path.rpartition("/")[2])
    for target in ["", *paths]:
        target_id = live.root.id if target == "" else live.ous[target].id
        live.attachments[target_id] = {policies[n].id for n in blueprint.desired_policies(target)}
    own: dict[str, tuple[str, ...]] = {}
    for n in range(accounts):
        account_id = f"{100000000000 + n}"
        path = paths[n % len(paths)]
        live.account_parents[account_id] = live.ous[path].id
        # Every account carries FullAWSAccess (AWS attaches it); one in fifty also has a
        # policy of its own.
        own[account_id] = (FULL_AWS_ACCESS, "own-no-ec2") if n % 50 == 0 else (FULL_AWS_ACCESS,)
    return live, ImpactInputs(documents=documents, account_policies=own)


def changed_blueprint(blueprint):
    """The HIPAA class SCP also denying bedrock (a rewrite of a class policy)."""
    spec = blueprint.policies["vending-class-hipaa"]
    document = json.loads(spec.content)
    statement = document["Statement"][0]
    statement["NotAction"] = [a for a in statement["NotAction"] if not a.startswith("bedrock")]
    content = json.dumps(document, separators=(",", ":"))
    policies = {**blueprint.policies, spec.name: replace(spec, content=content)}
    return replace(blueprint, policies=policies)


def time_it(blueprint, live, inputs) -> tuple[float, object]:
    plan = make_plan(blueprint, live)
    start = time.perf_counter()
    impact = plan_impact(blueprint, live, plan, inputs)
    return time.perf_counter() - start, impact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[100, 1000, 10000])
    args = parser.parse_args()
    blueprint = load_blueprint()
    changed = changed_blueprint(blueprint)
    assert isinstance(changed.policies["vending-class-hipaa"], PolicySpec)
    print(f"{'accounts':>9} {'plan':<18} {'seconds':>8} {'checked':>8} {'sims':>5} {'groups':>6}")
    for count in args.accounts:
        live, inputs = live_org(blueprint, count)
        for label, target in (("hipaa SCP rewrite", changed), ("no SCP change", blueprint)):
            seconds, impact = time_it(target, live, inputs)
            print(
                f"{count:>9} {label:<18} {seconds:>8.2f} {impact.accounts_checked:>8} "
                f"{impact.simulations:>5} {len(impact.groups):>6}"
            )


if __name__ == "__main__":
    main()
