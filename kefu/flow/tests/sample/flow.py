"""The sample record type's flow: three states, an answer within 24 clock hours, a confirmation."""

from django.db import models
from pydantic import BaseModel, ConfigDict

from kefu.core.choices import DepartmentCode as D
from kefu.core.choices import Role
from kefu.core.errors import Forbidden, NotFound
from kefu.flow import engine, forms
from kefu.flow.spec import Action, CaseSpec, Flow, Outcome, StepSpec, Summary, Who


class State(models.TextChoices):
    NEW = "new", "New"
    ANSWERED = "answered", "Answered"
    DONE = "done", "Done"


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: engine.Text


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: engine.OptText = ""


def apply_answer(ctx) -> None:
    ctx.set(answer=ctx.data.answer)


def lookup(user, key, *, what="view", request=None):
    from kefu.flow import access

    from .models import Ticket

    ticket = Ticket.objects.select_related("customer").filter(number=key).first()
    if ticket is None:
        raise NotFound(f"no ticket {key}")
    if not access.may_see_customer(user, ticket.customer_id):
        access.log_refusal(user, ticket.customer_id, f"ticket {key}: {what}")
        raise Forbidden("not your customer")
    return ticket


FLOW = Flow(
    name="ticket",
    label="ticket",
    model="flow_sample.Ticket",
    states=State,
    closed_states=(State.DONE,),
    first_step="answer",
    steps={
        "answer": StepSpec(
            "answer", "Answer", "24 hours", department=D.QUALITY, action="answer", customer_deadline=True
        ),
        "confirm": StepSpec(
            "confirm", "Confirm", "2 workdays", department=D.QUALITY, role=Role.MANAGER, action="confirm"
        ),
        engine.MEMO_TASK: engine.MEMO_STEP,
    },  # fmt: skip
    actions={
        "answer": Action(
            "answer",
            "Answer",
            (State.NEW,),
            Who("step_owner"),
            (Outcome(State.ANSWERED, "confirm"),),
            AnswerIn,
            apply_answer,
            "test",
            inputs=(forms.area("answer", "Answer"),),
        ),
        "confirm": Action(
            "confirm",
            "Confirm",
            (State.ANSWERED,),
            Who("department", D.QUALITY, Role.MANAGER),
            (Outcome(State.DONE),),
            ConfirmIn,
            None,
            "test",
        ),
        "object": Action(
            "object",
            "Object",
            (State.NEW, State.ANSWERED),
            Who("any_member"),
            (Outcome(None),),
            engine.MemoIn,
            engine.file_memo,
            "test",
            closes_step=False,
        ),
        "rule_memo": Action(
            "rule_memo",
            "Rule on the memo",
            tuple(State.values),
            engine.MEMO_RULER,
            (Outcome(None),),
            engine.MemoRulingIn,
            engine.rule_memo,
            "test",
            closes_step=False,
            task=engine.MEMO_TASK,
        ),
    },  # fmt: skip
    # A memo may send a ticket back to its answer: the engine knows no more than this.
    state_step={State.NEW: "answer", State.ANSWERED: "confirm"},
    reopen_steps=lambda t: ("answer",),
    case=CaseSpec(department=D.QUALITY, due="5 days"),
    customer_of=lambda t: t.customer_id,
    customer_deadline_of=lambda t: t.customer_deadline,
    summary=lambda t: Summary(key=t.number, title=t.title, customer=t.customer.name),
    list_related=("customer",),
    lookup=lookup,
    url=lambda key: f"/tickets/{key}/",
    documented=False,
)
