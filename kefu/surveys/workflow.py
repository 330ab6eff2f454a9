"""A survey round as data for the case engine (STYLE 2; SPEC M10; 004 6.3-6.5).

collection (sales, until the round's answer deadline; reminders to the customers who have not
answered) -> scoring (sales: the score sheet, the triggers: corrective actions, complaints,
a named owner for every dissatisfied answer) -> review (the management representative, for the
management review, 004 6.5) -> closed. The review sends a sheet back to scoring. A follow-up
task per 不满意 / 很不满意 answer, assigned to a named person, is done when the customer was told
what was fixed (003 4.5.3.7). The settings are ``due.survey.<step>``.
"""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kefu.core import access
from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import NotFound
from kefu.core.workcalendar import TZ
from kefu.flow import engine
from kefu.flow import forms as inputs
from kefu.flow.spec import Action, Flow, Input, NoticeSpec, Outcome, StepSpec, Summary, Who

from . import flows, schemas, services
from .models import CLOSED_STATES, Round, Status

S = Status
ALL_STATES = tuple(S.values)
ALL_OPEN = tuple(s for s in S.values if s not in CLOSED_STATES)
NOTE = inputs.area("note", gettext_lazy("Note"), required=False)
FOLLOW_UP = "follow_up"


def collection_due(round_: Round):
    """The collection step ends with the round's answer deadline (end of that day)."""
    if round_.collect_until is None:
        return None
    return dt.datetime.combine(round_.collect_until, dt.time(23, 59, 59), tzinfo=TZ)


def is_management_rep(user, record=None, sit=None) -> bool:
    return access.has_role(user, Role.MANAGEMENT_REP)


MANAGEMENT_REP = Who(
    "custom",
    test=is_management_rep,
    text=lambda r, sit: _("the management representative"),
    reason=lambda user, r, sit: _("you do not hold the role of management representative"),
)

STEPS = {
    "collection": StepSpec(
        "collection", gettext_lazy("Collecting the answers"), "30 days", department=D.SALES,
        action="close_collection", due_of=collection_due,
        seed="004 6.3.1, 6.4.1: sales sends the forms and collects them (return rate 80 %); the round's own "
        "deadline, this duration only when it has none",
    ),
    "scoring": StepSpec(
        "scoring", gettext_lazy("Scoring and analysis"), "5 workdays", department=D.SALES, action="score",
        seed="004 6.4.2: sales computes the scores and writes the statistical analysis (not timed by the seed)",
    ),
    "review": StepSpec(
        "review", gettext_lazy("Review of the survey results"), "5 workdays", department=D.MANAGEMENT_REP,
        role=Role.MANAGEMENT_REP, action="approve",
        seed="004 6.5, COP14 4.2: the management representative uses the results (not timed by the seed)",
    ),
    FOLLOW_UP: StepSpec(
        FOLLOW_UP, gettext_lazy("Follow-up of a dissatisfied answer"), "10 workdays", department=D.SALES,
        action="record_follow_up", task=True, opened_doc="by `score`, one per dissatisfied answer, assigned to its owner",
        seed="客户满意度管理制度 三.2: every 不满意 / 很不满意 gets a named owner; 003 4.5.3.7: the customer is "
        "told what was fixed (not timed by the seed)",
    ),
}  # fmt: skip

STATE_STEP = {S.COLLECTION: "collection", S.SCORING: "scoring", S.REVIEW: "review"}

ACTIONS = {
    "remind": Action(
        "remind", gettext_noop("Remind the customers who have not answered"), (S.COLLECTION,),
        Who("department", D.SALES), (Outcome(None),), schemas.ActionIn, services.apply_remind,
        "004 6.4.1: the return rate should reach 80 %; the key customers' answers are required",
        closes_step=False, inputs=(NOTE,),
    ),
    "close_collection": Action(
        "close_collection", gettext_noop("Close the collection"), (S.COLLECTION,), Who("department", D.SALES),
        (Outcome(S.SCORING, "scoring"),), schemas.ActionIn, services.apply_close_collection,
        "004 6.4: the returned forms are analysed", inputs=(NOTE,),
    ),
    "score": Action(
        "score", gettext_noop("Score the round"), (S.SCORING,), Who("department", D.SALES),
        (Outcome(S.REVIEW, "review"),), schemas.ActionIn, services.apply_score,
        "004 6.4.2-6.4.3: the score sheet; a corrective action for each trigger, a complaint for each explicit "
        "written one, a named owner for each dissatisfied answer",
        inputs=(NOTE,),
    ),
    "approve": Action(
        "approve", gettext_noop("Approve the results"), (S.REVIEW,), MANAGEMENT_REP, (Outcome(S.CLOSED),),
        schemas.ActionIn, None, "004 6.5: the results go to the management review", inputs=(NOTE,),
    ),
    "send_back": Action(
        "send_back", gettext_noop("Send the results back to scoring"), (S.REVIEW,), MANAGEMENT_REP,
        (Outcome(S.SCORING, "scoring"),), schemas.SendBackIn, None,
        "004 6.4.2: the analysis is done again (the triggers already opened stay, none opens twice)",
        inputs=(inputs.area("note", gettext_lazy("What to redo")),),
    ),
    "record_follow_up": Action(
        "record_follow_up", gettext_noop("Record the follow-up"), ALL_STATES, Who("any_member"), (Outcome(None),),
        schemas.FollowUpIn, services.apply_follow_up,
        "003 4.5.3.7: the dissatisfied customer is asked again and told what was fixed",
        task=FOLLOW_UP,
        inputs=(inputs.area("note", gettext_lazy("What was done")),
                inputs.yes_no("customer_told", gettext_lazy("The customer was told what was fixed"))),
    ),
    "request_extension": Action(
        "request_extension", gettext_noop("Request an extension"), ALL_OPEN, Who("step_owner"), (Outcome(None),),
        engine.ExtensionIn, engine.request_extension,
        "002 篇1 第十一条(三): the step's whole time, extensions included, is capped",
        closes_step=False, guard="no_pending_extension",
        inputs=(Input("days", "int", gettext_lazy("Amount (in the step's unit)")), inputs.area("reason", gettext_lazy("Reason"))),
    ),
    "approve_extension": Action(
        "approve_extension", gettext_noop("Decide on the extension"), ALL_OPEN, engine.EXTENSION_APPROVER,
        (Outcome(None),), engine.ExtensionDecisionIn, engine.decide_extension,
        "002 篇1 第十一条(三): approved by the managers; the step deadline moves",
        closes_step=False, guard="pending_extension", inputs=(inputs.yes_no("approved", gettext_lazy("Approve")), NOTE),
    ),
}  # fmt: skip


def lookup(user, number: str, *, what: str = "view", request=None) -> Round:
    """The round (404); rounds are read by every member of a department (the customers' forms are
    filtered by ``selectors``)."""
    r = Round.objects.select_related("template").filter(number=number).first()
    if r is None:
        raise NotFound(_("no survey round %(number)s") % {"number": number}, field="number")
    return r


def summary(r) -> Summary:
    return Summary(key=r.number, title=r.title)


def _url(number: str) -> str:
    try:
        return reverse("surveys:round", args=[number])
    except NoReverseMatch:  # the pages are another module's (h9); the API always exists
        return f"/api/v1/surveys/rounds/{number}"


# The engine's advance notice (kefu.flow.notices): the customers who have not answered get their
# link again a set time before answers are due (004 发动机 6.3: 跟踪回收; R10.3), with no one to press.
NOTICES = {
    "customer_reminder": NoticeSpec(
        "customer_reminder", gettext_lazy("Reminder to the customers who have not answered"), "5 workdays",
        flows.customer_reminder_moment, to=None, text=None, deliver=flows.auto_remind,
        seed="004 6.3, R10.3: reminders to customers who have not answered; sales get the missing key customers",
    ),
}  # fmt: skip

FLOW = Flow(
    name="survey",
    label=gettext_lazy("survey round"),
    model="surveys.Round",
    states=Status,
    closed_states=CLOSED_STATES,
    steps=STEPS,
    actions=ACTIONS,
    first_step="collection",
    guards={**engine.EXTENSION_GUARDS},
    state_step=STATE_STEP,
    url=_url,
    summary=summary,
    lookup=lookup,
    api_path="/surveys/rounds",
    notices=NOTICES,
    seed="004 发动机顾客满意管理程序 6.3-6.5, COP14 5.1-5.2; 003 4.2; 客户满意度管理制度",
)
