"""`manage.py org plan|apply|drift|simulate|validate|import`: the org blueprint for
operators."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vending.aws import AwsError, get_gateway
from vending.blueprint.current import class_ou_path, current_blueprint
from vending.blueprint.loader import BlueprintError, load_blueprint
from vending.blueprint.plan import render_plan
from vending.choices import ComplianceClass
from vending.compliance.simulator import Decision
from vending.errors import DomainError
from vending.selectors.org_impact import render_impact
from vending.selectors.policies import (
    EffectivePolicy,
    NotInOrganization,
    effective_policy_for_account,
    effective_policy_for_ou_path,
)
from vending.services.drift import org_drift_scan
from vending.services.org_blueprint import org_blueprint_apply, org_blueprint_plan
from vending.services.org_import import org_import

EXIT_CHANGES = 2


class Command(BaseCommand):
    help = "Plan, apply and check the organization against the org blueprint."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        plan = sub.add_parser("plan", help="print the changes apply would make")
        plan.add_argument(
            "--exit-code",
            action="store_true",
            help="exit 2 when changes are pending, 0 when none (like terraform plan "
            "-detailed-exitcode)",
        )
        apply = sub.add_parser("apply", help="make the organization match the blueprint")
        apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        drift = sub.add_parser("drift", help="scan for drift and list the findings")
        drift.add_argument("--exit-code", action="store_true", help="exit 2 on reported drift")
        sub.add_parser("validate", help="check the blueprint file; no AWS call")
        simulate = sub.add_parser("simulate", help="what an account may do, and why")
        who = simulate.add_mutually_exclusive_group(required=True)
        who.add_argument("--account", help="an account of the organization")
        who.add_argument(
            "--class", dest="compliance_class", choices=ComplianceClass.values,
            help="a new account of this class, placed in its OU",
        )  # fmt: skip
        what = simulate.add_mutually_exclusive_group(required=True)
        what.add_argument(
            "--action", action="append", help="e.g. s3:GetObject; repeat it for several"
        )
        what.add_argument("--service", help="an IAM service prefix, e.g. gamelift")
        simulate.add_argument(
            "--json", action="store_true",
            help="one JSON object per line: per action {action, decision, kind, reason, "
            "statements}; for --service {service, status, allowed, depends, denied, total}",
        )  # fmt: skip
        imp = sub.add_parser(
            "import",
            help="write the blueprint of the live organization and record its accounts",
        )
        imp.add_argument("--output", type=Path, required=True, help="blueprint file to write")
        imp.add_argument("--force", action="store_true", help="overwrite --output if it exists")
        imp.add_argument(
            "--tags", action="store_true",
            help="give accounts without a team the team and environment their vending:team "
            "and vending:environment tags name (one ListTagsForResource per account)",
        )  # fmt: skip
        imp.add_argument(
            "--class", dest="classes", action="append", default=[], metavar="CLASS=OU_PATH",
            help="map a compliance class to an OU path (default: the configured blueprint's "
            "mapping, for the paths the organization has)",
        )  # fmt: skip
        for p in (plan, apply, drift, sub.choices["validate"], simulate, imp):
            p.add_argument("--blueprint", type=Path, help="blueprint file (default: configured)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            blueprint = (
                load_blueprint(options["blueprint"]) if options.get("blueprint") else None
            ) or current_blueprint()
            getattr(self, f"do_{options['verb']}")(blueprint, options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except BlueprintError as exc:
            raise CommandError(str(exc)) from exc
        except AwsError as exc:
            raise CommandError(f"AWS refused: {exc}") from exc

    def do_validate(self, blueprint: Any, options: dict[str, Any]) -> None:
        self.stdout.write(
            f"{blueprint.source}: valid ({len(blueprint.walk())} OUs, "
            f"{len(blueprint.policies)} SCPs, strategy {blueprint.strategy})."
        )

    def do_plan(self, blueprint: Any, options: dict[str, Any]) -> None:
        current = org_blueprint_plan(blueprint=blueprint, with_impact=True)
        org = current.live.organization
        self.stdout.write(
            render_plan(current.plan, organization=f"Organization {org.id}" if org else "")
        )
        if not current.plan.empty:
            self.stdout.write(render_impact(current.impact))
        if options["exit_code"] and not current.plan.empty:
            sys.exit(EXIT_CHANGES)

    def do_apply(self, blueprint: Any, options: dict[str, Any]) -> None:
        current = org_blueprint_plan(blueprint=blueprint, with_impact=True)
        self.stdout.write(render_plan(current.plan))
        if current.plan.empty:
            return
        self.stdout.write(render_impact(current.impact))
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Not applied: pass --yes to apply without a prompt.")
            if input("Apply these changes? Type 'yes': ").strip() != "yes":
                raise CommandError("Not applied.")
        result = org_blueprint_apply(gateway=get_gateway(), blueprint=blueprint)
        self.stdout.write(f"Applied {len(result.applied)} change(s).")
        if not result.remaining.empty:
            self.stdout.write(render_plan(result.remaining))
            raise CommandError("Changes remain after apply (see above).")

    def do_drift(self, blueprint: Any, options: dict[str, Any]) -> None:
        result = org_drift_scan()
        if not result.open:
            self.stdout.write("No drift: the organization matches the blueprint and the records.")
        for finding in result.open:
            state = "DRIFT" if finding.reported else "new  "
            self.stdout.write(
                f"{state} {finding.get_kind_display():28} {finding.detail} "
                f"(first seen {finding.first_seen:%Y-%m-%d %H:%M}, {finding.times_seen} scan(s))"
            )
        for finding in result.resolved:
            self.stdout.write(f"fixed {finding.get_kind_display():28} {finding.detail}")
        if result.open and any(not f.reported for f in result.open):
            self.stdout.write("'new' findings are reported if the next scan still sees them.")
        if options["exit_code"] and result.reported:
            sys.exit(EXIT_CHANGES)

    def _policy(self, options: dict[str, Any]) -> tuple[EffectivePolicy, str]:
        gateway = get_gateway()
        if options["account"]:
            try:
                policy = effective_policy_for_account(
                    gateway=gateway, account_id=options["account"]
                )
            except NotInOrganization as exc:
                raise CommandError(str(exc)) from exc
            return policy, f"account {options['account']}"
        path = class_ou_path(options["compliance_class"])
        try:
            policy = effective_policy_for_ou_path(gateway=gateway, ou_path=path)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        return policy, f"a new {options['compliance_class']} account in {path}"

    def do_simulate(self, blueprint: Any, options: dict[str, Any]) -> None:
        policy, subject = self._policy(options)
        as_json = options["json"]
        if policy.management and not as_json:
            self.stdout.write(f"{subject} is the management account: SCPs never restrict it.")
        try:
            if options["action"]:
                for decision in policy.explain_many(options["action"]):
                    self._write_decision(decision, subject, as_json=as_json)
                return
            s = policy.summary(options["service"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            counts = {"allowed": s.allowed, "depends": s.depends, "denied": s.denied}
            line = {"service": s.prefix, "status": str(s.status), **counts, "total": s.total}
            self.stdout.write(json.dumps(line))
            return
        self.stdout.write(
            f"{s.prefix} for {subject}: {s.status} ({s.allowed} of {s.total} actions allowed, "
            f"{s.depends} depend on the request, {s.denied} denied)"
        )
        for example in (s.example_denial, s.example_depends):
            if example is not None:
                self.stdout.write(f"  e.g. {example.action}: {example.reason}")

    def _write_decision(self, decision: Decision, subject: str, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(decision.as_dict()))
            return
        outcome = f"denied ({decision.kind})" if decision.kind else decision.decision
        self.stdout.write(f"{decision.action} for {subject}: {outcome}")
        self.stdout.write(f"  {decision.reason}")

    def _classes(self, blueprint: Any, given: list[str]) -> dict[str, str]:
        classes = dict(blueprint.classes)
        for item in given:
            cls, sep, path = item.partition("=")
            if not sep or cls not in ComplianceClass.values:
                raise CommandError(
                    f"--class {item!r}: expected CLASS=OU_PATH with CLASS one of "
                    f"{', '.join(ComplianceClass.values)}"
                )
            classes[cls] = path.strip("/")
        return classes

    def do_import(self, blueprint: Any, options: dict[str, Any]) -> None:
        output: Path = options["output"]
        if output.exists() and not options["force"]:
            raise CommandError(f"{output} exists; pass --force to overwrite it.")
        result = org_import(
            classes=self._classes(blueprint, options["classes"]),
            tags=options["tags"],
            progress=lambda done, total: self.stderr.write(
                f"Read the tags of {done} of {total} accounts."
            ),
        )
        for item in result.unexpressed:
            self.stderr.write(f"NOT IN THE BLUEPRINT {item.line()}")
        if result.imported.missing_classes:
            raise CommandError(
                "No OU of the organization is mapped to "
                f"{', '.join(result.imported.missing_classes)}: map each with "
                "--class CLASS=OU_PATH (e.g. --class hipaa=HipaaOU). Nothing was written."
            )
        output.write_text(result.text)
        self.stdout.write(
            f"Wrote {output}: organization {result.organization_id}, "
            f"{len(result.imported.raw['policies'])} SCP(s), {result.ou_count} OU(s)."
        )
        for cls, path in sorted(result.imported.classes.items()):
            self.stdout.write(f"  class {cls}: {path}")
        self.stdout.write(
            f"Accounts: {len(result.added)} added to the inventory as imported, "
            f"{len(result.updated)} moved since the last import, {len(result.skipped)} skipped."
        )
        for line in result.skipped:
            self.stdout.write(f"  skipped {line}")
        if options["tags"]:
            self.stdout.write(f"Given a team by their tags: {len(result.assigned)}.")
            for line in result.assigned:
                self.stdout.write(f"  assigned {line}")
            for line in result.unassigned:
                self.stdout.write(f"  tags not followed {line}")
        if result.plan is not None and not result.plan.empty:
            self.stdout.write(render_plan(result.plan))
            raise CommandError(
                "org plan with this file would change the organization (above): the "
                "policies listed as NOT IN THE BLUEPRINT would be detached. Add them to "
                f"{output} by hand before `org apply`."
            )
        self.stdout.write(f"org plan --blueprint {output}: no changes.")
