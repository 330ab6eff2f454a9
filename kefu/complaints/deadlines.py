"""Deadlines that belong to the complaint alone: pure functions of (moment, settings) (STYLE 4, R5.2).

The step and case deadlines are the case engine's clocks (``kefu.flow.clocks``),
with durations from the settings ``due.complaint.<step>`` and
``due.complaint.case.<region>`` (see ``workflow.FLOW``); what is left here is
the date promised to the customer in the acknowledgement.
"""

from __future__ import annotations

import datetime as dt

from kefu.flow.clocks import TZ, end_of_day, local_date

__all__ = ["TZ", "answer_by", "end_of_day", "local_date"]


def answer_by(registered_at: dt.datetime, region: str, settings: dict) -> dt.date:
    """The date promised to the customer in the acknowledgement (R3.5, 000 5.3.3)."""
    key = "ack_answer_days_foreign" if region == "foreign" else "ack_answer_days_domestic"
    return local_date(registered_at) + dt.timedelta(days=int(settings[key]))
