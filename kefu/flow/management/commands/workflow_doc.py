"""``kefu workflow_doc``: write docs/workflow.md from every registered flow and the settings.

A test compares the committed file with ``render()``, so the doc cannot drift
from the tables.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from kefu.core import config
from kefu.flow import registry
from kefu.flow.spec import Action, Flow, department_label

DOC = Path(settings.BASE_DIR) / "docs" / "workflow.md"


def _state(code) -> str:
    return f"`{code}`" if code else "unchanged"


def _outcomes(action: Action) -> tuple[str, str]:
    to, opens = [], []
    for out in action.outcomes:
        when = f" when {out.when}" if out.when else (" otherwise" if len(action.outcomes) > 1 else "")
        to.append(_state(out.to) + when)
        opens.append((f"`{out.opens}`" if out.opens else "-") + when)
    return "; ".join(to), "; ".join(opens)


def render() -> str:
    with translation.override("en"):
        return _render()


def _flow(flow: Flow) -> list[str]:
    defaults = config.DEFAULTS
    lines = [
        f"## {str(flow.label).capitalize()}",
        "",
        f"Each action is `POST /api/v1{flow.api_path}/{{{flow.key_field}}}/actions/{{action}}` with the body fields",
        "below (`?` optional); `GET .../actions` lists the ones the caller may take now.",
        "",
        "### States",
        "",
        "| state | open step | owner | clock (setting: default) |",
        "|---|---|---|---|",
    ]
    for status in flow.states:
        code = flow.state_step.get(status)
        spec = flow.steps.get(code) if code else None
        if spec is None:
            lines.append(f"| `{status.value}` ({status.label}) | - (closed) | - | - |")
            continue
        owner = (
            department_label(spec.department)
            if spec.department
            else (spec.owner_doc or "decided by the case")
        )
        if spec.role != "clerk":
            owner += f" ({spec.role})"
        clock = f"`{spec.setting_key(flow.name)}`: {defaults[spec.setting_key(flow.name)]}"
        for variant in spec.variants:
            key = spec.setting_key(flow.name, variant)
            clock += f"; `{key}`: {defaults[key]}"
        lines.append(f"| `{status.value}` ({status.label}) | `{code}` | {owner} | {clock} |")
    if flow.case is not None:
        keys = [flow.case.setting_key(flow.name)] + [
            flow.case.setting_key(flow.name, v) for v in flow.case.variants
        ]
        clocks = "; ".join(f"`{k}`: {defaults[k]}" for k in keys)
        lines += [
            "",
            f"The whole {flow.label} has a deadline of its own, owned by {department_label(flow.case.department)}"
            f" ({flow.case.seed}): {clocks}.",
            "A deadline the customer set on the record replaces it.",
        ]
    tasks = [spec for spec in flow.steps.values() if spec.task]
    if tasks:
        opened_by = {code: state for state, codes in flow.state_tasks.items() for code in codes}
        lines += [
            "",
            "### Tasks",
            "",
            "Tasks stand beside the open step, or stay after closing, in the owners' work lists; their own",
            "action completes them.",
            "",
            "| task | owner | clock (setting: default) | opened | rule |",
            "|---|---|---|---|---|",
        ]
        for spec in tasks:
            owner = department_label(spec.department) + (f" ({spec.role})" if spec.role != "clerk" else "")
            key = spec.setting_key(flow.name)
            when = spec.opened_doc or (
                f"on entering `{opened_by[spec.code]}`" if spec.code in opened_by else "by a memo (`object`)"
            )
            lines.append(
                f"| `{spec.code}` ({spec.label}) | {owner} | `{key}`: {defaults[key]} | {when} | {spec.seed} |"
            )
    lines += [
        "",
        "### Actions",
        "",
        "| from | action (body fields) | who | to | next step | rule |",
        "|---|---|---|---|---|---|",
    ]
    for a in flow.actions.values():
        if set(a.from_states) == set(flow.states.values):
            states = "any state"
        elif set(a.from_states) == set(flow.open_states):
            states = "any open state"
        else:
            states = ", ".join(f"`{s}`" for s in a.from_states)
        if a.guard:
            states += f" ({flow.guards[a.guard].doc})"
        if a.task:
            states += f" (task `{a.task}` open)"
        fields = ", ".join(f"`{f}`" for f in a.doc_fields())
        to, opens = _outcomes(a)
        lines.append(f"| {states} | `{a.name}` ({fields}) | {a.who.describe()} | {to} | {opens} | {a.seed} |")
    first = flow.states.values[0]
    lines += ["", "### Diagram", "", "```mermaid", "stateDiagram-v2", f"    [*] --> {first}"]
    seen = set()
    for a in flow.actions.values():
        for out in a.outcomes:
            if out.to is None:
                continue
            for src in a.from_states:
                edge = (src, out.to, a.name)
                if edge not in seen:
                    seen.add(edge)
                    lines.append(f"    {src} --> {out.to}: {a.name}")
    lines += [f"    {s} --> [*]" for s in flow.closed_states] + ["```", ""]
    if flow.doc is not None:
        lines += flow.doc()
    return lines


def _render() -> str:
    flows = [f for f in registry.flows() if f.documented]
    lines = [
        "# Workflows",
        "",
        "<!-- Generated by `kefu workflow_doc` from the flows registered with the case engine (kefu/flow)"
        " and the settings; do not edit by hand. -->",
        "",
        "Every record that moves through departments ("
        + ", ".join(str(f.label) for f in flows)
        + ") runs on",
        "one case engine: steps owned by departments, each with a due time on its clock, reminder notices",
        "(催办单) that escalate, lateness inquiries (治办单) after closing, extensions, memos (签呈),",
        "meeting decisions, the outbox and one work list. An action that does not fit the state is refused",
        "with 409 and the allowed actions; a user without the department, role or authority gets 403 saying",
        "what stops them (and the refusal is logged in the customer's access log); a malformed field 400",
        "and a field a rule refuses 422 (docs/api.md). All leave the record untouched.",
        "",
    ]
    for flow in flows:
        lines += _flow(flow)
    defaults = config.DEFAULTS
    lines += [
        "## Clocks",
        "",
        "A step's duration is a setting with the seed's wording as default: `N workdays` (工作日: the end,",
        "23:59:59 Asia/Shanghai, of the N-th working day after the start day, on the mainland China calendar",
        "with its holidays and adjusted working days), `N days` (天 / 日: the end of the calendar day N days",
        "after the start day), `N hours` (小时 / H: exactly N hours later, through nights, weekends and",
        "holidays) or `N work_hours` (only the working hours of working days count, between",
        f"`clock.workday_start` ({defaults['clock.workday_start']}) and `clock.workday_end`"
        f" ({defaults['clock.workday_end']})). A bare number means working days.",
        "",
        "## Settings",
        "",
        "Editable by an admin in the Setting table (Admin -> Settings); the default is the seed's value.",
        "",
        "| setting | default | meaning |",
        "|---|---|---|",
    ]
    for key, text in sorted(config.HELP.items()):
        if key.startswith("due.") and not any(key.startswith(f"due.{f.name}.") for f in flows):
            continue
        lines.append(f"| `{key}` | {defaults[key]} | {text} |")
    lines += [
        "",
        "## Reminders, escalation and lateness inquiries (R5.3, 002 篇4 第十四条)",
        "",
        "- `kefu sweep [--now ISO]` (and the django-q2 schedule `kefu-sweep`, every 5 minutes) issues a",
        "  reminder notice (催办单) for each overdue open step and each overdue case deadline of every record",
        "  type: level 0 to whoever must act (the assignee, else the members of the owning department who",
        "  hold the role the step needs), level 1 to the department's managers after",
        "  `escalation.manager_after_workdays`, level 2 to the GM after `escalation.gm_after_workdays`",
        "  working days past the due time. A level goes out only when the level below it went out on an",
        "  earlier working day: run every five minutes, the sweep escalates on the days the thresholds say;",
        "  meeting a backlog (its first run after an outage or an import), it reminds the departments first",
        "  and escalates one level a working day while the step stays open, instead of notifying the",
        "  managers and the GM of every old step at once. One notice per step and level, however often it",
        "  runs and with several workers.",
        "- When a record closes, every step and a case deadline that finished late gets a lateness inquiry",
        "  (治办单) to its department, which answers with the reason; unanswered ones are listed for the",
        "  GM office.",
        "- Notifications are written to the outbox in the same transaction and e-mailed after commit by a",
        "  django-q2 task; failures are retried by the sweep schedule.",
        "- The work list (`/work/`, `GET /api/v1/work`) shows the open steps of every record type: of my",
        "  departments, or only those awaiting my decision; a sales clerk sees only the records of the",
        "  customers they may see. The navigation badge counts what waits for me, late or not.",
        "",
    ]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Write docs/workflow.md from the registered flows and the settings."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="exit 1 if docs/workflow.md is out of date")

    def handle(self, *args, check=False, **options):
        text = render()
        if check:
            if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
                self.stderr.write("docs/workflow.md is out of date: run `kefu workflow_doc`")
                raise SystemExit(1)
            return
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {DOC}")
