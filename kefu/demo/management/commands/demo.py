"""``kefu demo``: load the demo organisation, customers and complaints (see kefu/demo/data.py)."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kefu.demo import data as demo


class Command(BaseCommand):
    help = (
        "Load demo data: one user per role, about 40 customers and a year of complaints. "
        "Missing users and customers are added; --complaints N adds N more complaints."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when any user exists (first start)"
        )
        parser.add_argument(
            "--complaints",
            type=int,
            default=None,
            metavar="N",
            help=f"add N complaints (default: {demo.DEFAULT_COMPLAINTS} when there are none yet)",
        )
        parser.add_argument("--customers", type=int, default=demo.DEFAULT_CUSTOMERS, metavar="N")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
        parser.add_argument(
            "--templates",
            type=int,
            default=demo.TEMPLATES,
            metavar="N",
            help="with many complaints: walk N of them through the workflow and copy their histories "
            f"onto the others (used above {demo.BULK_ABOVE} complaints)",
        )
        parser.add_argument(
            "--walk-all",
            action="store_true",
            help="walk every complaint through the workflow, however many (about 0.1 s each)",
        )
        parser.add_argument(
            "--no-workflow",
            action="store_true",
            help="leave the new complaints registered instead of moving them along the workflow (faster)",
        )

    def handle(
        self,
        *args,
        if_empty,
        complaints,
        customers,
        seed,
        templates,
        walk_all,
        no_workflow,
        verbosity,
        **options,
    ):
        if complaints is not None and complaints < 0:
            raise CommandError("--complaints must not be negative")
        if customers < 0:
            raise CommandError("--customers must not be negative")
        if templates < 1:
            raise CommandError("--templates must be at least 1")
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Users exist already: demo data not loaded.")
        else:
            started = time.monotonic()
            bar = None
            if verbosity > 0 and (complaints or 0) >= 1000:
                bar = tqdm(total=complaints, unit="complaint", desc="complaints", file=self.stderr._out)

            def progress(done: int) -> None:
                if bar is not None:
                    bar.update(done - bar.n)

            try:
                result = demo.load(
                    customers=customers,
                    complaints=complaints,
                    seed=seed,
                    workflow=not no_workflow,
                    bulk=False if walk_all else None,
                    templates=templates,
                    progress=progress,
                    log=self.stdout.write if verbosity > 0 else None,
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            finally:
                if bar is not None:
                    bar.close()
            states = "all registered"
            if result.workflow:
                states = "histories copied from templates" if result.bulk else "walked through the workflow"
            self.stdout.write(
                f"Demo data: {result.users} users, {result.customers} new customers, "
                f"{result.complaints} new complaints ({states}) in {time.monotonic() - started:.0f} s."
            )
            if result.workflow:  # a few customer audits, once (kefu/audits/demo.py)
                from kefu.audits.demo import load as load_audits

                self.stdout.write(load_audits())
            if result.workflow:  # the CSR and HSF registers, once (kefu/requirements/demo.py)
                from kefu.requirements.demo import load as load_requirements

                self.stdout.write(load_requirements())
            if result.workflow:  # customer satisfaction rounds, once (kefu/surveys/demo.py)
                from kefu.surveys.demo import load as load_surveys

                self.stdout.write(load_surveys())
            if result.workflow and verbosity > 0:
                self.stdout.write(f"Open work now: {demo.lateness().describe()}.")
        if verbosity > 0:
            self.print_logins()

    def print_logins(self) -> None:
        names = [u[0] for u in demo.USERS]
        present = set(get_user_model().objects.filter(username__in=names).values_list("username", flat=True))
        if not present:
            return
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password: {demo.DEMO_PASSWORD}):")
        for username, family, given, memberships in demo.USERS:
            if username in present:
                roles = ", ".join(f"{dept}/{role}" for dept, role in memberships)
                self.stdout.write(f"  {username:<11} {roles:<30} {family}{given}")
