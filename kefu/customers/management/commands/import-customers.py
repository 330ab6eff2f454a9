"""``kefu import-customers FILE.xlsx``: check and import a filled-in customer template."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kefu.core.errors import KefuError
from kefu.customers import excel


class Command(BaseCommand):
    help = "Import customers from the Excel template; nothing is saved unless every row is valid."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file (see docs/customers.md)")
        parser.add_argument("--by", help="username recorded as the importer (default: the first superuser)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, file, by=None, no_progress=False, **options):
        users = get_user_model().objects.filter(is_active=True)
        user = (
            users.filter(username=by).first()
            if by
            else users.filter(is_superuser=True).order_by("pk").first()
        )
        if user is None:
            raise CommandError(f"no active user {by}" if by else "no superuser; give --by USERNAME")

        def progress(iterable, *, total=None, desc=""):
            return tqdm(iterable, total=total, desc=desc, unit="row", file=self.stderr._out, leave=False)

        if not Path(file).is_file():
            raise CommandError(f"file: No such file: {file}")
        try:
            report = excel.import_customers(file, by=user, progress=None if no_progress else progress)
        except KefuError as exc:
            raise CommandError(exc.detail) from exc
        if not report.ok:
            for e in report.errors:
                self.stderr.write(f"row {e.row}, {e.column}: {e.message}")
            raise CommandError(f"{len(report.errors)} errors in {report.rows} rows; nothing was imported")
        self.stdout.write(self.style.SUCCESS(f"{report.created} customers imported"))
