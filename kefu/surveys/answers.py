"""Personal links and answers (R10.3, R10.6): the signed, expiring, single-use link of a form, the
customer's answer through it (no account), the staff's oral or paper entry on the same form, the
answers about competitors."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping

from django.core import signing
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import audit, outbox
from kefu.core.errors import Conflict, Invalid, KefuError, Malformed, NotFound
from kefu.core.workcalendar import TZ

from . import rules, scoring
from .choices import AnswerChannel, FormState, Subject
from .common import actor as _user
from .common import customers as _customers
from .common import now_or as _now
from .common import require_survey_staff
from .models import Answer, Form, Round, Status, Template

FLOW_NAME = "survey"
LINK_SALT = "kefu.surveys.form-link"


# --- the personal link's refusals, told apart by the answer page ---------------------------------------


class LinkInvalid(NotFound):
    """Not a link of ours (a mistyped or forged token): 404."""


class LinkExpired(KefuError):
    """A link past its validity, or replaced by a newer one: 410."""

    status = 410


class LinkUsed(Conflict):
    """The form was answered already (a link is single-use): 409."""


class RoundNotCollecting(Conflict):
    """The round no longer takes answers: 409."""


# --- the personal link (R10.3) ---------------------------------------------------------------------------


def link_token(form: Form) -> str:
    """The token of ``form``'s personal link: the form and its nonce, signed (no account, nothing
    to guess). 409 when no link was issued."""
    if not form.token_nonce:
        raise Conflict(_("no personal link was issued for this form"))
    return signing.dumps([form.pk, form.token_nonce], salt=LINK_SALT)


def link_path(token: str) -> str:
    try:
        return reverse("surveys:answer", args=[token])
    except NoReverseMatch:  # the pages (another module) not installed: the path they will have
        return f"/surveys/answer/{token}/"


def link_url(token: str, cfg: dict | None = None) -> str:
    cfg = cfg if cfg is not None else rules.settings()
    return str(cfg.get("surveys.link_base_url") or "").rstrip("/") + link_path(token)


def _customer_addresses(customer_ids: Iterable[int]) -> dict[int, list[str]]:
    from kefu.customers.models import Contact

    out: dict[int, list[str]] = {}
    for cid, email in (
        Contact.objects.filter(customer_id__in=list(customer_ids))
        .exclude(email="")
        .values_list("customer_id", "email")
    ):
        if email not in out.setdefault(cid, []):
            out[cid].append(email)
    return out


def _link_mail(form: Form, token: str, *, cfg: dict, reminder: bool, now: dt.datetime, addresses: list[str]):
    from kefu.core.models import Notification

    r = form.round
    subject = (
        _("Reminder: customer satisfaction survey %(title)s")
        if reminder
        else _("Customer satisfaction survey %(title)s")
    ) % {"title": r.title}
    body = _(
        "Dear %(customer)s,\n\nplease tell us how satisfied you are with our products and service: the "
        "survey takes a few minutes and works on a phone.\n\n%(url)s\n\nThe link is personal, can be used "
        "once and is valid until %(until)s.\n\nThank you."
    ) % {
        "customer": form.customer.name,
        "url": link_url(token, cfg),
        "until": timezone.localtime(form.link_expires_at, TZ).strftime("%Y-%m-%d"),
    }
    return [
        Notification(
            kind="survey_reminder" if reminder else "survey_link",
            to=address,
            subject=subject[:200],
            body=body,
            object_type=FLOW_NAME,
            object_id=r.number,
            created_at=now,
            next_attempt_at=now,
        )
        for address in addresses
    ]


def _prepare_link(form: Form, now: dt.datetime, cfg: dict, *, renew: bool = False) -> str:
    """Give ``form`` a nonce (a new one with ``renew``: the old links stop working) and a validity
    of ``surveys.link_days`` from now (never shorter than it was)."""
    if renew or not form.token_nonce:
        form.token_nonce = secrets.token_urlsafe(12)
    until = now + dt.timedelta(days=int(cfg["surveys.link_days"]))
    if form.link_expires_at is None or form.link_expires_at < until:
        form.link_expires_at = until
    return link_token(form)


@transaction.atomic
def issue_link(
    form: Form, *, by, send: bool = True, renew: bool = False, now: dt.datetime | None = None
) -> str:
    """The personal link of ``form`` (R10.3): signed, valid ``surveys.link_days`` from now,
    single-use (answered once, it refuses). With ``send`` it is e-mailed to the customer's
    contacts through the outbox; ``renew`` revokes the links issued before. Returns the token
    (``link_path(token)`` is the answer page)."""
    now = _now(now)
    require_survey_staff(by)
    cfg = rules.settings()
    form = Form.objects.select_for_update(of=("self",)).select_related("round", "customer").get(pk=form.pk)
    if form.subject != Subject.OURS or form.customer_id is None:
        raise Invalid(_("competitor answers are entered by staff; they have no link"), field="form")
    if form.state == FormState.RETURNED:
        raise LinkUsed(_("the form has been answered; its link is used"))
    if form.round.status != Status.COLLECTION:
        raise RoundNotCollecting(
            _("the round %(number)s no longer collects answers") % {"number": form.round.number}
        )
    token = _prepare_link(form, now, cfg, renew=renew)
    fields = ["token_nonce", "link_expires_at"]
    sent_to: list[str] = []
    if send:
        sent_to = _customer_addresses([form.customer_id]).get(form.customer_id, [])
        if sent_to:
            outbox.save(_link_mail(form, token, cfg=cfg, reminder=False, now=now, addresses=sent_to))
            form.link_sent_at = now
            fields.append("link_sent_at")
    form.save(update_fields=fields)
    audit.record(
        form.round, "issue_link", by=by, at=now, object_type=FLOW_NAME,
        data={"form": form.pk, "customer": form.customer.code, "sent_to": len(sent_to), "renew": renew},
    )  # fmt: skip
    return token


@transaction.atomic
def send_links(round_: Round, *, by, now: dt.datetime | None = None) -> dict:
    """Send every form of ``round_`` whose link was never sent its personal link (the start of a
    round: 004 6.3.1 营销部每次至少向客户发出[客户满意度调查表]); returns ``{"sent": forms mailed,
    "unreachable": [customer codes without an e-mail address]}``. Forms already sent are left to
    the ``remind`` action."""
    now = _now(now)
    require_survey_staff(by)
    cfg = rules.settings()
    r = Round.objects.select_for_update().get(pk=round_.pk)
    if r.status != Status.COLLECTION:
        raise RoundNotCollecting(_("the round %(number)s no longer collects answers") % {"number": r.number})
    forms = list(
        Form.objects.select_for_update(of=("self",))
        .filter(round=r, subject=Subject.OURS, state=FormState.PENDING, link_sent_at__isnull=True)
        .select_related("customer")
        .order_by("id")
    )
    addresses = _customer_addresses(f.customer_id for f in forms)
    mails, sent, unreachable = [], [], []
    for f in forms:
        f.round = r
        token = _prepare_link(f, now, cfg)
        to = addresses.get(f.customer_id, [])
        if to:
            mails += _link_mail(f, token, cfg=cfg, reminder=False, now=now, addresses=to)
            f.link_sent_at = now
            sent.append(f)
        else:
            unreachable.append(f.customer.code)
    Form.objects.bulk_update(forms, ["token_nonce", "link_expires_at", "link_sent_at"])
    outbox.save(mails)
    audit.record(
        r, "send_links", by=by, at=now, object_type=FLOW_NAME,
        data={"sent": len(sent), "unreachable": unreachable},
    )  # fmt: skip
    return {"sent": len(sent), "unreachable": unreachable}


def _form_of_token(token: str, *, lock: bool) -> Form:
    try:
        pk, nonce = signing.loads(str(token), salt=LINK_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkInvalid(_("this survey link is not valid"), field="token") from None
    qs = Form.objects.select_related("round__template", "customer")
    if lock:
        qs = qs.select_for_update(of=("self",))
    form = qs.filter(pk=pk).first()
    if form is None:
        raise LinkInvalid(_("this survey link is not valid"), field="token")
    if form.token_nonce != nonce:
        raise LinkExpired(_("this survey link was replaced by a newer one"), field="token")
    return form


def _check_open(form: Form, now: dt.datetime) -> None:
    if form.state == FormState.RETURNED:
        raise LinkUsed(_("this survey was answered already; thank you"), field="token")
    if form.link_expires_at is None or form.link_expires_at < now:
        raise LinkExpired(_("this survey link has expired"), field="token")
    if form.round.status != Status.COLLECTION:
        raise RoundNotCollecting(_("this survey is closed"), field="token")


def form_by_token(token: str, *, now: dt.datetime | None = None) -> Form:
    """The form of a personal link, for the answer page (no account): ``LinkInvalid`` (404),
    ``LinkExpired`` (410: past its validity or replaced), ``LinkUsed`` (409: answered already) or
    ``RoundNotCollecting`` (409). The form comes with its round, template and customer."""
    form = _form_of_token(token, lock=False)
    _check_open(form, _now(now))
    return form


form_for_token = form_by_token


def _rate(
    template: Template, answers: Mapping[str, object]
) -> list[tuple[scoring.ItemDef, scoring.LevelDef]]:
    """Every item of the template rated once with a level of its scale: a missing, unknown or
    off-scale rating is 400 naming the item."""
    tdef = rules.template_def(template)
    if not isinstance(answers, Mapping):
        raise Malformed(_("give the answers as {item: level}"), field="answers")
    known = {it.code for it in tdef.items}
    for code in answers:
        if code not in known:
            raise Malformed(
                _("unknown item %(code)r; items: %(items)s")
                % {"code": code, "items": ", ".join(sorted(known))},
                field=str(code),
            )
    out = []
    for it in tdef.items:
        rating = answers.get(it.code)
        if rating is None or rating == "":
            raise Malformed(_("choose a rating"), field=it.code)
        out.append((it, it.rate(rating, it.code)))
    return out


def _save_answers(
    form: Form,
    *,
    by,
    answers: Mapping[str, object],
    channel: str,
    comment: str,
    suggestions: str,
    respondent: str,
    now: dt.datetime,
) -> Form:
    template = form.round.template
    rated = _rate(template, answers)
    tdef = rules.template_def(template)
    owner = None
    if form.customer_id is not None and form.subject == Subject.OURS:
        owner = form.customer.owner if form.customer.owner_id else None
    Answer.objects.bulk_create(
        [
            Answer(
                form=form,
                item=it.code,
                level=lv.code,
                value=lv.value,
                dissatisfied=lv.dissatisfied and form.subject == Subject.OURS,
                owner=owner if lv.dissatisfied and form.subject == Subject.OURS else None,
            )
            for it, lv in rated
        ]
    )
    form.state = FormState.RETURNED
    form.channel = channel
    form.returned_at = now
    form.entered_by = _user(by)
    form.comment = (comment or "").strip()[:20_000]
    form.suggestions = (suggestions or "").strip()[:20_000]
    form.respondent = (respondent or "").strip()[:100]
    form.score = scoring.customer_score(
        tdef, scoring.Rated(customer=str(form.pk), answers={it.code: lv for it, lv in rated})
    )
    form.save()
    audit.record(
        form.round, "answer", by=by, at=now, object_type=FLOW_NAME,
        data={
            "form": form.pk,
            "customer": form.customer.code if form.customer_id else None,
            "competitor": form.competitor or None,
            "channel": channel,
            "score": str(form.score),
            "dissatisfied": [it.code for it, lv in rated if lv.dissatisfied],
        },
    )  # fmt: skip
    return form


def _check_texts(comment: str, suggestions: str, respondent: str) -> None:
    for name, value, limit in (
        ("comment", comment, 20_000),
        ("suggestions", suggestions, 20_000),
        ("respondent", respondent, 100),
    ):
        if value is not None and not isinstance(value, str):
            raise Malformed(_("must be a text"), field=name)
        if value and (len(value) > limit or "\x00" in value):
            raise Malformed(_("at most %(n)s characters, no NUL") % {"n": limit}, field=name)


@transaction.atomic
def submit_by_token(
    token: str,
    *,
    answers: Mapping[str, object],
    comment: str = "",
    suggestions: str = "",
    respondent: str = "",
    now: dt.datetime | None = None,
) -> Form:
    """The customer answers through the personal link (no account; R10.3). ``comment`` is an
    explicit written complaint or opinion (004 6.4.3 d: a trigger, and a complaint when the round
    is scored); ``suggestions`` are not. The link is used up: a second submit is ``LinkUsed``."""
    now = _now(now)
    _check_texts(comment, suggestions, respondent)
    form = _form_of_token(token, lock=True)
    _check_open(form, now)
    return _save_answers(
        form, by=None, answers=answers, channel=AnswerChannel.LINK, comment=comment, suggestions=suggestions,
        respondent=respondent, now=now,
    )  # fmt: skip


@transaction.atomic
def enter_answers(
    form_id: int,
    *,
    by,
    answers: Mapping[str, object],
    comment: str = "",
    suggestions: str = "",
    respondent: str = "",
    channel: str = AnswerChannel.ORAL,
    now: dt.datetime | None = None,
) -> Form:
    """Staff enter an oral or paper answer on the same form (004 6.3.1: 客户口头回复的信息由营销部
    详细填写); the form's link is used up with it. Allowed while the round collects or is being
    scored (late forms still count)."""
    now = _now(now)
    require_survey_staff(by)
    if channel not in (AnswerChannel.ORAL, AnswerChannel.PAPER):
        raise Malformed(_("oral or paper"), field="channel")
    _check_texts(comment, suggestions, respondent)
    form = (
        Form.objects.select_for_update(of=("self",))
        .select_related("round__template", "customer")
        .filter(pk=form_id)
        .first()
    )
    if form is None:
        raise NotFound(_("no survey form %(id)s") % {"id": form_id}, field="form")
    if form.state == FormState.RETURNED:
        raise LinkUsed(_("this form was answered already"), field="form")
    if form.round.status not in (Status.COLLECTION, Status.SCORING):
        raise RoundNotCollecting(
            _("the round %(number)s no longer takes answers") % {"number": form.round.number}
        )
    return _save_answers(
        form, by=by, answers=answers, channel=channel, comment=comment, suggestions=suggestions,
        respondent=respondent, now=now,
    )  # fmt: skip


@transaction.atomic
def add_competitor_form(
    round_: Round,
    *,
    by,
    competitor: str,
    answers: Mapping[str, object],
    customer=None,
    comment: str = "",
    respondent: str = "",
    channel: str = AnswerChannel.ORAL,
    now: dt.datetime | None = None,
) -> Form:
    """A customer's answer about a competitor, with the same questionnaire (R10.6; 客户满意度管理制度
    四.3(2): 请客户填写竞争对手的满意度检查表, 每次不得少于10个), entered by staff."""
    now = _now(now)
    require_survey_staff(by)
    competitor = str(competitor or "").strip()
    if not competitor or len(competitor) > 200:
        raise Malformed(_("name the competitor (at most 200 characters)"), field="competitor")
    if channel not in (AnswerChannel.ORAL, AnswerChannel.PAPER):
        raise Malformed(_("oral or paper"), field="channel")
    _check_texts(comment, "", respondent)
    r = Round.objects.select_for_update().select_related("template").get(pk=round_.pk)
    if r.status not in (Status.COLLECTION, Status.SCORING):
        raise RoundNotCollecting(_("the round %(number)s no longer takes answers") % {"number": r.number})
    c = _customers([customer])[0] if customer else None
    form = Form.objects.create(
        round=r, customer=c, subject=Subject.COMPETITOR, competitor=competitor, is_key=bool(c and c.is_key)
    )
    form.round = r
    return _save_answers(
        form,
        by=by,
        answers=answers,
        channel=channel,
        comment=comment,
        suggestions="",
        respondent=respondent,
        now=now,
    )
