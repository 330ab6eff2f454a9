"""The record types the engine knows: each app registers its ``Flow`` in its ``AppConfig.ready``.

Registering a flow also registers its settings (the step durations, with the
seed's wording as default) with ``kefu.core.config``, so an admin edits them
like every other setting and ``kefu workflow_doc`` prints them.
"""

from __future__ import annotations

from kefu.core import config
from kefu.core.errors import NotFound

from .spec import Flow

_FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    """Make ``flow`` known to the engine, the sweep, the work list and the docs (idempotent)."""
    known = _FLOWS.get(flow.name)
    if known is not None and known is not flow:
        raise ValueError(f"a flow named {flow.name!r} is registered already")
    _FLOWS[flow.name] = flow
    defaults, help_texts = {}, {}
    for step in flow.steps.values():
        key = step.setting_key(flow.name)
        defaults[key] = step.due
        help_texts[key] = f"step `{step.code}` of a {flow.name}" + (f" ({step.seed})" if step.seed else "")
        for variant, due in step.variants.items():
            defaults[step.setting_key(flow.name, variant)] = due
            help_texts[step.setting_key(flow.name, variant)] = (
                f"step `{step.code}` of a {variant} {flow.name}"
            )
    if flow.case is not None:
        defaults[flow.case.setting_key(flow.name)] = flow.case.due
        help_texts[flow.case.setting_key(flow.name)] = f"the whole {flow.name}" + (
            f" ({flow.case.seed})" if flow.case.seed else ""
        )
        for variant, due in flow.case.variants.items():
            defaults[flow.case.setting_key(flow.name, variant)] = due
            help_texts[flow.case.setting_key(flow.name, variant)] = (
                f"the whole {flow.name}, {variant} customer"
            )
    for notice in flow.notices.values():
        defaults[notice.setting_key(flow.name)] = notice.before
        help_texts[notice.setting_key(flow.name)] = (
            f"advance notice `{notice.code}` of a {flow.name}, sent this long before"
            + (f" ({notice.seed})" if notice.seed else "")
        )
    config.register(defaults, help_texts)
    return flow


def unregister(name: str) -> None:
    """For tests that register a flow of their own."""
    _FLOWS.pop(name, None)


def get(name: str) -> Flow:
    try:
        return _FLOWS[name]
    except KeyError:
        raise NotFound(f"unknown record type {name!r}", field="record_type") from None


def for_model(model) -> Flow:
    label = model._meta.label
    for flow in _FLOWS.values():
        if flow.model == label:
            return flow
    raise LookupError(f"no flow registered for {label}")


def flows() -> list[Flow]:
    return list(_FLOWS.values())


def flows_by_name() -> dict[str, Flow]:
    return dict(_FLOWS)
