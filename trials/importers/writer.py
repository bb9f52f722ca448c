"""The one writer: saves a ``TrialRecord`` into the models.

Keyed on ``nct_id`` and idempotent: a record equal to what is stored writes
nothing; a changed one replaces the trial and all its children, inside one
transaction. A record that fails validation raises ``RecordError`` with every
reason, before anything is written.
"""

from __future__ import annotations

import enum
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.db import models, transaction

from ..models import (
    ArmGroup,
    Condition,
    Identifier,
    Intervention,
    Official,
    Reference,
    RelatedTrial,
    Site,
    Sponsor,
    Trial,
    TrialCondition,
)
from .records import RecordError, TrialRecord


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


# Record attribute → the model its items become, in the order they are written.
CHILD_MODELS: dict[str, type[models.Model]] = {
    "interventions": Intervention,
    "arm_groups": ArmGroup,
    "sites": Site,
    "references": Reference,
    "sponsors": Sponsor,
    "officials": Official,
    "identifiers": Identifier,
    "related_trials": RelatedTrial,
}
_NOT_COMPARED = {"id", "trial", "created_at", "updated_at"}


def _messages(error: ValidationError, prefix: str = "") -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{prefix}{name}: {message}" if name != "__all__" else f"{prefix}{message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [f"{prefix}{message}" for message in error.messages]


def _values(instance: models.Model) -> tuple:
    return tuple(
        (field.attname, getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.name not in _NOT_COMPARED
    )


def _intervention_key(name: str) -> str:
    return name.strip().casefold()


class _Built:
    """A record turned into unsaved, validated model instances."""

    def __init__(self, record: TrialRecord, existing: Trial | None):
        self.errors: list[str] = []
        self.trial = Trial(nct_id=record.nct_id, **record.fields)
        if existing:
            self.trial.pk = existing.pk
            self.trial.created_at = existing.created_at
            self.trial._state.adding = False
        try:
            self.trial.full_clean(exclude=["created_at", "updated_at"])
        except ValidationError as error:
            self.errors += _messages(error)

        self.children: dict[str, list[models.Model]] = {}
        for attribute, model in CHILD_MODELS.items():
            items = []
            for position, item in enumerate(getattr(record, attribute)):
                values = asdict(item)
                values.pop("intervention_names", None)
                instance = model(position=position, **values)
                try:
                    instance.full_clean(exclude=["trial"], validate_unique=False, validate_constraints=False)
                except ValidationError as error:
                    self.errors += _messages(error, f"{model._meta.verbose_name} {position + 1}: ")
                items.append(instance)
            self.children[attribute] = items

        if sum(1 for sponsor in record.sponsors if sponsor.is_lead) > 1:
            self.errors.append("more than one lead sponsor")

        by_name: dict[str, Intervention] = {}
        for intervention in self.children["interventions"]:
            by_name[_intervention_key(intervention.name)] = intervention
            if intervention.type:
                by_name[_intervention_key(f"{intervention.get_type_display()}: {intervention.name}")] = intervention
        self.arm_links: list[list[Intervention]] = []
        for arm in record.arm_groups:
            links = []
            for name in arm.intervention_names:
                intervention = by_name.get(_intervention_key(name))
                if intervention is None:
                    self.errors.append(f"arm {arm.label!r} names an unknown intervention {name!r}")
                elif intervention not in links:
                    links.append(intervention)
            self.arm_links.append(links)

        self.conditions = list(dict.fromkeys(name.strip() for name in record.conditions if name.strip()))

    def snapshot(self) -> tuple:
        return (
            _values(self.trial),
            tuple(self.conditions),
            {attribute: [_values(item) for item in items] for attribute, items in self.children.items()},
            [[intervention.name for intervention in links] for links in self.arm_links],
        )


def _stored_snapshot(trial: Trial) -> tuple:
    trial = Trial.objects.for_detail().get(pk=trial.pk)
    children = {attribute: list(getattr(trial, attribute).all()) for attribute in CHILD_MODELS}
    return (
        _values(trial),
        tuple(trial.condition_names),
        {attribute: [_values(item) for item in items] for attribute, items in children.items()},
        [[intervention.name for intervention in arm.interventions.all()] for arm in children["arm_groups"]],
    )


def save_record(record: TrialRecord) -> Outcome:
    """Create, update or leave alone the trial ``record`` describes."""
    record.nct_id = record.nct_id.strip().upper()
    existing = Trial.objects.filter(nct_id=record.nct_id).first()
    built = _Built(record, existing)
    if built.errors:
        raise RecordError(record.nct_id, built.errors)
    if existing and _stored_snapshot(existing) == built.snapshot():
        return Outcome.UNCHANGED

    with transaction.atomic():
        trial = built.trial
        trial.save()
        if existing:
            for attribute in CHILD_MODELS:
                getattr(trial, attribute).all().delete()
            trial.trial_conditions.all().delete()
        for items in built.children.values():
            for item in items:
                item.trial = trial
            if items:
                type(items[0]).objects.bulk_create(items)
        ArmGroup.interventions.through.objects.bulk_create(
            ArmGroup.interventions.through(armgroup_id=arm.pk, intervention_id=intervention.pk)
            for arm, links in zip(built.children["arm_groups"], built.arm_links, strict=True)
            for intervention in links
        )
        conditions = _conditions_by_name(built.conditions)
        TrialCondition.objects.bulk_create(
            TrialCondition(trial=trial, condition=conditions[name], position=position)
            for position, name in enumerate(built.conditions)
        )
    return Outcome.UPDATED if existing else Outcome.CREATED


def _conditions_by_name(names: list[str]) -> dict[str, Condition]:
    found = {condition.name: condition for condition in Condition.objects.filter(name__in=names)}
    missing = [name for name in names if name not in found]
    if missing:
        Condition.objects.bulk_create([Condition(name=name) for name in missing], ignore_conflicts=True)
        found.update((condition.name, condition) for condition in Condition.objects.filter(name__in=missing))
    return found
