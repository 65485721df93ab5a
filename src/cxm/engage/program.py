"""Journey definitions: validated JSON compiled to a flat program of numbered steps.

A definition::

    {"trigger": {"event": "Checkout Started", "where": {...}} | {"segment": "name or id"},
     "holdout_percent": 10,
     "goal": {"event": "Order Completed", "within_hours": 72, "where": {...}},
     "exit": {"event": "Unsubscribed"},
     "reentry": "never" | "always" | {"after_days": 7},
     "purpose": "marketing",
     "steps": [step, ...]}

Steps (``type``): ``action`` (see ``ACTIONS``), ``wait`` (``minutes`` or ``until``
"HH:MM" in the person's time zone), ``wait_event`` (``event``, ``where``,
``timeout_minutes``, nested ``then`` / ``timeout`` lists), ``condition`` (``if``: a
segment condition for this person; ``then`` / ``else``), ``split`` (``branches``:
``[{"percent": 50, "steps": [...]}, ...]``), ``exit``.

Nested lists are flattened into one list of instructions with explicit successor
indices (-1 = end), so a run's position is one integer that survives restarts and
step counts in the report are per instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cxm.engage.conditions import ConditionError, validate_conditions
from cxm.errors import FieldError
from cxm.privacy.consent import PURPOSES

END = -1
ACTIONS = ("webhook", "email", "sms", "survey", "offer", "case", "set_trait")
CONTACT_CHANNELS = ("email", "sms", "messaging", "push")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class DefinitionError(FieldError):
    pass


@dataclass(frozen=True)
class Instruction:
    index: int
    kind: str  # action | wait | wait_event | condition | split | exit
    spec: dict[str, Any]
    next: int
    branches: tuple[int, ...] = ()  # condition: (then, else); split: one per branch
    weights: tuple[float, ...] = ()
    timeout_next: int = END

    @property
    def label(self) -> str:
        if self.kind == "action":
            return f"{self.index}: {self.spec.get('action')}"
        return f"{self.index}: {self.kind}"


@dataclass(frozen=True)
class Program:
    entry: int
    steps: tuple[Instruction, ...]

    def at(self, index: int) -> Instruction:
        return self.steps[index]


def _positive(spec: dict[str, Any], key: str, where: str, required: bool = True) -> float | None:
    if key not in spec:
        if required:
            raise DefinitionError(f"{where}.{key}", "is required")
        return None
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise DefinitionError(f"{where}.{key}", "must be a number ≥ 0")
    return float(value)


def _where(spec: dict[str, Any], where: str) -> None:
    filters = spec.get("where", {})
    if not isinstance(filters, dict):
        raise DefinitionError(f"{where}.where", "must be an object of property: value")


def _event_name(spec: dict[str, Any], key: str, where: str) -> str:
    name = spec.get(key)
    if not isinstance(name, str) or not name.strip():
        raise DefinitionError(f"{where}.{key}", "must be an event name")
    return name


def _check_action(spec: dict[str, Any], where: str) -> None:
    action = spec.get("action")
    if action not in ACTIONS:
        raise DefinitionError(f"{where}.action", f"must be one of {', '.join(ACTIONS)}")
    channel = spec.get("channel")
    if channel is not None and channel not in (*CONTACT_CHANNELS, "preferred"):
        raise DefinitionError(
            f"{where}.channel", f"must be preferred or one of {', '.join(CONTACT_CHANNELS)}"
        )
    if action == "webhook":
        url = spec.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise DefinitionError(f"{where}.url", "must be an http(s) URL")
    if action in ("email", "offer"):
        templates = spec.get("templates")
        if not isinstance(templates, dict) or not templates:
            raise DefinitionError(
                f"{where}.templates", 'must map a language to {"subject", "body"}'
            )
        for lang, template in templates.items():
            if not isinstance(template, dict) or not isinstance(template.get("body"), str):
                raise DefinitionError(f"{where}.templates.{lang}", "needs a body (and subject)")
    if action == "sms" and not isinstance(spec.get("text"), (str, dict)):
        raise DefinitionError(f"{where}.text", "must be a text or a language → text map")
    if action == "offer" and not isinstance(spec.get("offer"), str):
        raise DefinitionError(f"{where}.offer", "must name an offer of the catalogue")
    if action == "survey" and not isinstance(spec.get("survey_id"), str):
        raise DefinitionError(f"{where}.survey_id", "must name a survey")
    if action == "case" and not isinstance(spec.get("reason", "manual"), str):
        raise DefinitionError(f"{where}.reason", "must be a text")
    if action == "set_trait":
        traits = spec.get("traits")
        if not isinstance(traits, dict) or not traits:
            raise DefinitionError(f"{where}.traits", "must be a non-empty object")


class _Flattener:
    def __init__(self) -> None:
        self.steps: list[Instruction] = []

    def add(self, **fields: Any) -> int:
        index = len(self.steps)
        self.steps.append(Instruction(index=index, **fields))
        return index

    def block(self, steps: Any, cont: int, where: str) -> int:
        """Compile a list of steps that continues at ``cont``; return its first index."""
        if not isinstance(steps, list):
            raise DefinitionError(where, "must be a list of steps")
        entry = cont
        for position in range(len(steps) - 1, -1, -1):
            entry = self.step(steps[position], entry, f"{where}[{position}]")
        return entry

    def step(self, spec: Any, cont: int, where: str) -> int:
        if not isinstance(spec, dict):
            raise DefinitionError(where, "must be an object with a type")
        kind = spec.get("type")
        if kind == "action":
            _check_action(spec, where)
            return self.add(kind=kind, spec=spec, next=cont)
        if kind == "wait":
            minutes = _positive(spec, "minutes", where, required=False)
            until = spec.get("until")
            if (minutes is None) == (until is None):
                raise DefinitionError(where, "needs minutes or until (HH:MM), not both")
            if until is not None and (not isinstance(until, str) or not _TIME.match(until)):
                raise DefinitionError(f"{where}.until", "must be a local time HH:MM")
            return self.add(kind=kind, spec=spec, next=cont)
        if kind == "wait_event":
            _event_name(spec, "event", where)
            _where(spec, where)
            _positive(spec, "timeout_minutes", where)
            then = self.block(spec.get("then", []), cont, f"{where}.then")
            timeout = self.block(spec.get("timeout", []), cont, f"{where}.timeout")
            return self.add(kind=kind, spec=spec, next=then, timeout_next=timeout)
        if kind == "condition":
            try:
                validate_conditions(spec.get("if"))
            except ConditionError as error:
                raise DefinitionError(
                    f"{where}.if{error.field.removeprefix('conditions')}", error.reason
                ) from None
            then = self.block(spec.get("then", []), cont, f"{where}.then")
            other = self.block(spec.get("else", []), cont, f"{where}.else")
            return self.add(kind=kind, spec=spec, next=cont, branches=(then, other))
        if kind == "split":
            branches = spec.get("branches")
            if not isinstance(branches, list) or len(branches) < 2:
                raise DefinitionError(f"{where}.branches", "must list at least two branches")
            entries, weights = [], []
            for i, branch in enumerate(branches):
                if not isinstance(branch, dict):
                    raise DefinitionError(f"{where}.branches[{i}]", "must be an object")
                percent = _positive(branch, "percent", f"{where}.branches[{i}]")
                weights.append(percent or 0.0)
                entries.append(
                    self.block(branch.get("steps", []), cont, f"{where}.branches[{i}].steps")
                )
            if abs(sum(weights) - 100.0) > 1e-6:
                raise DefinitionError(f"{where}.branches", "percentages must add up to 100")
            return self.add(
                kind=kind, spec=spec, next=cont, branches=tuple(entries), weights=tuple(weights)
            )
        if kind == "exit":
            return self.add(kind=kind, spec=spec, next=END)
        raise DefinitionError(
            f"{where}.type", "must be action, wait, wait_event, condition, split or exit"
        )


def compile_definition(definition: Any) -> Program:
    """Validate a journey definition; raise DefinitionError naming ``definition.<path>``."""
    where = "definition"
    if not isinstance(definition, dict):
        raise DefinitionError(where, "must be a JSON object")
    trigger = definition.get("trigger")
    if not isinstance(trigger, dict) or ("event" in trigger) == ("segment" in trigger):
        raise DefinitionError(f"{where}.trigger", "needs an event or a segment (one of them)")
    if "event" in trigger:
        _event_name(trigger, "event", f"{where}.trigger")
        _where(trigger, f"{where}.trigger")
    elif not isinstance(trigger["segment"], str) or not trigger["segment"]:
        raise DefinitionError(f"{where}.trigger.segment", "must name a segment")
    holdout = definition.get("holdout_percent", 0)
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 <= holdout < 100:
        raise DefinitionError(f"{where}.holdout_percent", "must be a number from 0 to 99")
    for key in ("goal", "exit"):
        spec = definition.get(key)
        if spec is None:
            continue
        if not isinstance(spec, dict):
            raise DefinitionError(f"{where}.{key}", "must be an object with an event")
        _event_name(spec, "event", f"{where}.{key}")
        _where(spec, f"{where}.{key}")
        if key == "goal":
            _positive(spec, "within_hours", f"{where}.goal", required=False)
    reentry = definition.get("reentry", "never")
    if reentry not in ("never", "always") and not (
        isinstance(reentry, dict) and _positive(reentry, "after_days", f"{where}.reentry")
    ):
        raise DefinitionError(f"{where}.reentry", 'must be "never", "always" or {"after_days": N}')
    purpose = definition.get("purpose", "marketing")
    if purpose not in PURPOSES:
        raise DefinitionError(f"{where}.purpose", f"must be one of {', '.join(PURPOSES)}")
    flattener = _Flattener()
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps:
        raise DefinitionError(f"{where}.steps", "must be a non-empty list of steps")
    entry = flattener.block(steps, END, f"{where}.steps")
    return Program(entry, tuple(flattener.steps))
