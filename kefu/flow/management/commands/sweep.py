"""``kefu sweep [--now ISO]``: issue reminder notices for overdue steps of every record type (R5.3)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kefu.core import outbox
from kefu.flow.notices import send_due
from kefu.flow.sweep import sweep


class Command(BaseCommand):
    help = (
        "Issue reminder notices (催办单) for overdue steps and case deadlines of every record type and "
        "escalate them, and send the advance notices that are due; safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", help="run as of this time, e.g. 2026-12-01T09:00+08:00 (tests, back-filling)"
        )
        parser.add_argument(
            "--no-send", action="store_true", help="leave the outbox alone (no e-mail retries)"
        )

    def handle(self, *args, now=None, no_send=False, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now: not an ISO date and time: {now!r}")
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        result = sweep(moment)
        levels = result.by_level()
        self.stdout.write(
            f"sweep at {timezone.localtime(result.now).isoformat()}: {result.overdue} overdue step(s); "
            f"issued {len(result.issued)} notice(s) (department {levels[0]}, manager {levels[1]}, GM {levels[2]}); "
            f"{result.notifications} message(s) queued"
        )
        notices = send_due(moment)
        if notices.sent or notices.skipped:
            self.stdout.write(
                f"advance notices: {notices.sent} sent ({notices.mails} message(s)), {notices.skipped} skipped"
            )
        if not no_send and moment is None:
            sent = outbox.retry_due()
            if sent:
                self.stdout.write(f"outbox: {sent} message(s) sent on retry")
