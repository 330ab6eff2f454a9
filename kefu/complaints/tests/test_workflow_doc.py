"""docs/workflow.md is generated from workflow.py, and the sweep is scheduled in django-q2."""

import io

from django.core.management import call_command

from kefu.complaints import workflow
from kefu.flow.management.commands.workflow_doc import DOC, render


def test_committed_doc_matches_the_workflow_table():
    assert DOC.read_text(encoding="utf-8") == render(), "docs/workflow.md is stale: run `kefu workflow_doc`"


def test_doc_names_every_action_and_deadline_setting():
    text = render()
    for name in workflow.ACTIONS:
        assert f"`{name}`" in text
    for key in (
        "due.complaint.investigation",
        "due.complaint.countermeasure.major",
        "authority.deputy_gm_max",
    ):
        assert f"`{key}`" in text


def test_check_mode_passes_on_the_committed_doc():
    call_command("workflow_doc", "--check", stdout=io.StringIO())


def test_the_sweep_runs_every_five_minutes_in_django_q(db):
    from django_q.models import Schedule

    from kefu.flow.sweep import scheduled

    schedule = Schedule.objects.get(name="kefu-sweep")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "kefu.flow.sweep.scheduled",
        "I",
        5,
    )
    assert scheduled().startswith("overdue=0 issued=0")
