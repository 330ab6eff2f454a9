"""The demo histories: complaints lived through the engine up to "now", old ones closed, few late."""

import datetime as dt
import random

from django.utils import timezone

from kefu.complaints.demo import spread_over_states
from kefu.complaints.models import Complaint
from kefu.complaints.tests.workflow_factory import TZ, complaint
from kefu.flow.models import Inquiry, Reminder, Step


def test_demo_complaints_live_through_the_engine_up_to_now(org, time_machine):
    # A fixed moment: the histories, and so which inquiries stay open, depend on the calendar.
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, 0, tzinfo=TZ), tick=False)
    now = timezone.now()
    rng = random.Random(4)
    cases = [complaint(org, now=now - dt.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 9)))
             for _ in range(60)]  # fmt: skip
    reached = spread_over_states(cases, rng, now)
    # A reply the customer did not accept opened a follow-up, which is lived through as well.
    followups = Complaint.objects.filter(parent__isnull=False).count()
    assert sum(reached.values()) == 60 + followups
    assert reached["closed"] > 30 and reached["not_established"] > 0
    open_states = {s for s, n in reached.items() if n and s not in ("closed", "not_established")}
    assert len(open_states) >= 3, reached
    # Old complaints are done; what is open was registered in the last weeks.
    assert not Complaint.objects.filter(
        closed_at__isnull=True, registered_at__lt=now - dt.timedelta(days=25)
    ).exists()
    for c in Complaint.objects.filter(closed_at__isnull=False):
        assert c.registered_at < c.closed_at < now
    # Late steps became lateness inquiries at closing, most of them answered already.
    assert Inquiry.objects.filter(answered_at__isnull=False).exists()
    overdue = Step.objects.filter(done_at__isnull=True, due_at__lt=now).exists()
    assert Reminder.objects.exists() == overdue
