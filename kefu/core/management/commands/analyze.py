"""``kefu analyze``: refresh the planner statistics now (see kefu.core.maintenance)."""

from django.core.management.base import BaseCommand

from kefu.core.maintenance import refresh_statistics


class Command(BaseCommand):
    help = "Refresh the database planner statistics (SQLite ANALYZE; PostgreSQL: report autovacuum's)."

    def handle(self, *args, **options):
        self.stdout.write(refresh_statistics())
