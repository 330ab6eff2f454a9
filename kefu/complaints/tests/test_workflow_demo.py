"""The demo histories fill every state and the work lists."""

import datetime as dt
import random
from collections import Counter

from django.utils import timezone

from kefu.complaints.demo import spread_over_states
from kefu.complaints.tests.workflow_factory import TZ, complaint
from kefu.flow.models import Inquiry, Reminder


def test_demo_complaints_spread_over_states_with_reminders_and_inquiries(org, time_machine):
    # A fixed moment: the histories, and so which inquiries stay open, depend on the calendar.
    time_machine.move_to(dt.datetime(2026, 11, 20, 10, 0, tzinfo=TZ), tick=False)
    now = timezone.now()
    rng = random.Random(4)
    cases = [complaint(org, now=now - dt.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 9)))
             for _ in range(60)]  # fmt: skip
    reached = spread_over_states(cases, rng, now)
    assert sum(reached.values()) == 60
    assert len([s for s, n in reached.items() if n]) >= 8, reached
    assert reached["closed"] > 0 and reached["not_established"] > 0
    assert Reminder.objects.exists()
    assert Inquiry.objects.filter(answered_at__isnull=True).exists()
    assert Inquiry.objects.filter(answered_at__isnull=False).exists()
    assert isinstance(reached, Counter)
