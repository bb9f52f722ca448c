"""The one writer: saves ``TrialRecord``s into the models.

Keyed on ``nct_id`` and idempotent. A record whose digest equals the one
stored with its trial writes nothing; a changed one replaces the trial and
all its children as a whole, keeping the trial's id. A record that fails
validation is reported with every reason and nothing of it is written; the
rest of its batch lands.

Records are written in batches inside one transaction. Children go in as
plain rows (``COPY`` on PostgreSQL, ``executemany`` elsewhere) rather than
through model instances, which would cost more than the database work: a
registry import writes tens of rows per study.
"""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from .. import choices, db, history, search
from .. import models as trial_models
from ..ctgov import results
from ..ctgov.records import RecordError, TrialRecord, clean_json
from ..exports import stored_rows
from ..models import (
    ArmGroup,
    ArmGroupIntervention,
    Condition,
    Contact,
    Document,
    Identifier,
    Intervention,
    InterventionAlias,
    MeshTerm,
    Official,
    OutcomeMeasure,
    Reference,
    RelatedTrial,
    Site,
    Sponsor,
    Trial,
    TrialCondition,
    VersionSource,
    validate_nct_id,
)


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class SaveResult:
    record: TrialRecord
    outcome: Outcome | None = None
    error: RecordError | None = None


# Record attribute → the model its items become.
CHILD_MODELS: dict[str, type[models.Model]] = {
    "interventions": Intervention,
    "arm_groups": ArmGroup,
    "sites": Site,
    "references": Reference,
    "sponsors": Sponsor,
    "officials": Official,
    "identifiers": Identifier,
    "related_trials": RelatedTrial,
    "mesh_terms": MeshTerm,
    "outcome_measures": OutcomeMeasure,
    "documents": Document,
    # After "sites": a site's contacts point at it.
    "contacts": Contact,
}
RESULT_MODELS: dict[str, type[models.Model]] = {name: getattr(trial_models, name) for name in results.RESULT_MODELS}
# Record fields that are not columns: they become arm ↔ intervention links.
_LINK_FIELDS = {"arm_groups": "intervention_names", "interventions": "arm_group_labels"}
# Columns that point at another of the trial's rows: compared by that row's index instead.
_NOT_COMPARED = {
    "id",
    "trial",
    "created_at",
    "updated_at",
    "source_digest",
    "search_vector",
    "facet_tokens",
    "json_size",
    "json_size_of",
    "site",
}


@functools.cache
def _compared(model: type[models.Model]) -> list[str]:
    """The columns whose change makes a stored row differ from a record's."""
    return [field.attname for field in model._meta.concrete_fields if field.name not in _NOT_COMPARED]


def record_digest(record: TrialRecord) -> str:
    """A fingerprint of everything a record says.

    orjson writes the record's dataclasses, dates and lists deterministically,
    and several times faster than pickle; a digest that changes with the
    serializer's version only costs one rewrite. Characters XML 1.0 forbids
    are dropped from the record first (``clean_json``): every importer's
    record passes here, and the digest is of what is stored.
    """
    return hashlib.sha256(clean_json(record)).hexdigest()


def _messages(error: ValidationError, prefix: str = "") -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{prefix}{name}: {message}" if name != "__all__" else f"{prefix}{message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [f"{prefix}{message}" for message in error.messages]


_INTERVENTION_TYPE_LABELS = dict(choices.InterventionType.choices)


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


class _Built:
    """A record turned into a validated trial and rows for its children."""

    def __init__(self, record: TrialRecord, digest: str):
        self.record = record
        self.existing: Trial | None = None  # the stored trial, set when saving
        self.errors: list[str] = []
        self.trial = db.table(Trial).instance({**record.fields, "nct_id": record.nct_id, "source_digest": digest})
        # The field checks of full_clean, then the model's own clean(), shared
        # with the admin; uniqueness is the writer's business (keyed on nct_id).
        self.errors += db.table(Trial).check(vars(self.trial), "")
        try:
            validate_nct_id(self.trial.nct_id)
            self.trial.clean()
        except ValidationError as error:
            self.errors += _messages(error)

        self.children: dict[str, list[dict]] = {}
        for attribute, model in CHILD_MODELS.items():
            table = db.table(model)
            rows = []
            link_field = _LINK_FIELDS.get(attribute)
            for position, item in enumerate(getattr(record, attribute)):
                row = dict(vars(item))
                if link_field:
                    del row[link_field]
                row["position"] = position
                self.errors += table.check(row, f"{model._meta.verbose_name} {position + 1}: ")
                rows.append(row)
            self.children[attribute] = rows
        # What the record says its interventions are also called: search's brand ↔ generic map.
        self.aliases = search.aliases.rows((item.name, item.other_names) for item in record.interventions)
        # Copies: the writer adds ids and keys to them.
        self.results: dict[str, list[dict]] = {}
        for name, rows in record.results.items():
            table = db.table(RESULT_MODELS[name])
            label = RESULT_MODELS[name]._meta.verbose_name
            self.results[name] = [dict(row) for row in rows]
            for index, row in enumerate(rows):
                self.errors += table.check(row, f"results, {label} {index + 1}: ")
        if any(row.get("site") is not None and row["site"] >= len(record.sites) for row in self.children["contacts"]):
            self.errors.append("a contact names a site that is not listed")
        if sum(1 for sponsor in record.sponsors if sponsor.is_lead) > 1:
            self.errors.append("more than one lead sponsor")
        related = [(item.nct_id, item.kind) for item in record.related_trials]
        if len(set(related)) != len(related):
            self.errors.append("a related trial is listed twice")
        self.links = self._links()
        self.conditions = list(dict.fromkeys(name.strip() for name in record.conditions if name.strip()))

    def _links(self) -> list[tuple[int, int, int, int]]:
        """(arm index, intervention index, position, label position), from both of the registry's lists."""
        interventions = self.record.interventions
        arms = self.record.arm_groups
        by_name: dict[str, list[int]] = {}
        type_labels = _INTERVENTION_TYPE_LABELS
        for index, intervention in enumerate(interventions):
            by_name.setdefault(_key(intervention.name), []).append(index)
            if intervention.type:
                label = type_labels.get(intervention.type, intervention.type)
                by_name.setdefault(_key(f"{label}: {intervention.name}"), []).append(index)
        arm_index = {_key(arm.label): index for index, arm in enumerate(arms)}
        labels = [[_key(label) for label in item.arm_group_labels] for item in interventions]

        positions: dict[tuple[int, int], int] = {}
        per_arm = [0] * len(arms)

        def link(a: int, i: int) -> None:
            positions[(a, i)] = per_arm[a]
            per_arm[a] += 1

        for a, arm in enumerate(arms):
            for name in arm.intervention_names:
                candidates = by_name.get(_key(name), [])
                if not candidates:
                    self.errors.append(f"arm {arm.label!r} names an unknown intervention {name!r}")
                    continue
                # The same name twice: the interventions that list this arm.
                chosen = [i for i in candidates if _key(arm.label) in labels[i]] or candidates
                unused = [i for i in chosen if (a, i) not in positions]
                if unused:
                    link(a, unused[0])
        for i, intervention_labels in enumerate(labels):
            for label in intervention_labels:
                a = arm_index.get(label)
                if a is None:
                    self.errors.append(f"intervention {interventions[i].name!r} names an unknown arm {label!r}")
                elif (a, i) not in positions:
                    link(a, i)
        result = []
        for (a, i), position in positions.items():
            arm_label = _key(arms[a].label)
            label_position = labels[i].index(arm_label) if arm_label in labels[i] else len(labels[i]) + a
            result.append((a, i, position, label_position))
        return result

    def documents(self) -> tuple[str, str, str, str]:
        record, fields = self.record, self.record.fields
        return search.search_documents(
            nct_id=record.nct_id,
            titles=[fields.get("brief_title", ""), fields.get("official_title", ""), fields.get("acronym", "")],
            identifiers=[item.identifier for item in record.identifiers],
            conditions=self.conditions,
            keywords=list(fields.get("keywords") or []),
            interventions=[
                *(name for item in record.interventions for name in (item.name, *item.other_names)),
                *fields.get("other_intervention_names", []),
            ],
            brief_summary=fields.get("brief_summary", ""),
            sponsors=[item.name for item in record.sponsors],
            detailed_description=fields.get("detailed_description", ""),
        )

    def facet_sources(self, conditions: dict[str, int]) -> tuple:
        """What ``trials_facet_tokens`` makes the tokens of from the trial's children (see ``search.FACET_COLUMNS``)."""
        record = self.record
        lead = next((sponsor.agency_class for sponsor in record.sponsors if sponsor.is_lead), "")
        return (
            lead,
            [site.country for site in record.sites],
            [site.city for site in record.sites],
            [conditions[name] for name in self.conditions],
            [item.type for item in record.interventions],
            [item.mesh_id for item in record.mesh_terms],
        )

    def snapshot(self) -> tuple:
        return (
            tuple((name, getattr(self.trial, name)) for name in _compared(Trial)),
            tuple(self.conditions),
            {
                attribute: [
                    tuple((name, row.get(name)) for name in _compared_child(model)) for row in self.children[attribute]
                ]
                for attribute, model in CHILD_MODELS.items()
            },
            sorted(self.links),
            [row.get("site") for row in self.children["contacts"]],
            results.results_json(results.record_rows(self.record.results)),
        )


def _compared_child(model: type[models.Model]) -> list[str]:
    return [name for name in _compared(model) if name != "trial_id"]


def _stored_snapshot(pk: int) -> tuple:
    trial = Trial.objects.for_export().get(pk=pk)
    children = {attribute: list(getattr(trial, attribute).all()) for attribute in CHILD_MODELS}
    arm_index = {arm.pk: index for index, arm in enumerate(children["arm_groups"])}
    intervention_index = {item.pk: index for index, item in enumerate(children["interventions"])}
    site_index = {site.pk: index for index, site in enumerate(children["sites"])}
    links = sorted(
        (arm_index[link.arm_group_id], intervention_index[link.intervention_id], link.position, link.label_position)
        for arm in children["arm_groups"]
        for link in arm.intervention_links.all()
    )
    return (
        tuple((name, getattr(trial, name)) for name in _compared(Trial)),
        tuple(trial.condition_names),
        {
            attribute: [
                tuple((name, getattr(item, name)) for name in _compared_child(model)) for item in children[attribute]
            ]
            for attribute, model in CHILD_MODELS.items()
        },
        links,
        [site_index[contact.site_id] if contact.site_id else None for contact in children["contacts"]],
        results.results_json(stored_rows(trial)),
    )


@dataclass
class Prepared:
    """A record with its digest and, once built, its validated rows.

    Preparing needs no database, so an import can prepare records in another
    process while this one writes.
    """

    record: TrialRecord
    digest: str
    built: _Built | None = None

    def build(self) -> None:
        if self.built is None:
            self.built = _Built(self.record, self.digest)


def prepare(record: TrialRecord, build: bool = False) -> Prepared:
    record.nct_id = record.nct_id.strip().upper()
    digest = record_digest(record)
    return Prepared(record, digest, _Built(record, digest) if build else None)


def save_records(records: Iterable[TrialRecord], origin: str = VersionSource.IMPORT) -> list[SaveResult]:
    """Save a batch of records; each result says what happened to one record."""
    return save_prepared([prepare(record) for record in records], origin)


def save_prepared(items: Iterable[Prepared], origin: str = VersionSource.IMPORT) -> list[SaveResult]:
    """Save a batch of prepared records (see ``prepare``).

    A trial replaced keeps its previous version, recorded as replaced by
    ``origin`` (a ``VersionSource``: an import, a sync).
    """
    prepared: dict[str, Prepared] = {}
    for item in items:
        # The same trial twice in a batch: the later record wins.
        prepared[item.record.nct_id] = item
    results = {nct_id: SaveResult(item.record) for nct_id, item in prepared.items()}
    existing = {
        trial.nct_id: trial
        for trial in Trial.objects.filter(nct_id__in=list(results)).only("id", "nct_id", "created_at", "source_digest")
    }
    to_write: list[_Built] = []
    for nct_id, result in results.items():
        stored = existing.get(nct_id)
        digest = prepared[nct_id].digest
        if stored and stored.source_digest == digest:
            result.outcome = Outcome.UNCHANGED
            continue
        built = prepared[nct_id].built or _Built(result.record, digest)
        built.existing = stored
        if built.errors:
            result.error = RecordError(nct_id, built.errors)
        elif stored and not stored.source_digest and _stored_snapshot(stored.pk) == built.snapshot():
            # Edited by staff since the last import, and now equal to the record.
            Trial.objects.filter(pk=stored.pk).update(source_digest=digest)
            result.outcome = Outcome.UNCHANGED
        else:
            to_write.append(built)

    try:
        with transaction.atomic():
            if connection.vendor == "postgresql" and to_write:
                # An import can be run again, so a batch need not wait for its
                # commit to reach the disk (a crash loses it, never corrupts).
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            _write(to_write, origin)
    except DatabaseError:
        # Find the record the database refused; write the others one by one.
        for built in to_write:
            try:
                with transaction.atomic():
                    _write([built], origin)
            except DatabaseError as error:
                results[built.trial.nct_id].error = RecordError(built.trial.nct_id, [f"database: {error}"])
    for built in to_write:
        result = results[built.trial.nct_id]
        if result.error is None:
            result.outcome = Outcome.UPDATED if built.existing else Outcome.CREATED
    return list(results.values())


def save_record(record: TrialRecord, origin: str = VersionSource.IMPORT) -> Outcome:
    """Create, update or leave alone the trial ``record`` describes."""
    result = save_records([record], origin)[0]
    if result.error:
        raise result.error
    return result.outcome


def _write(batch: list[_Built], origin: str) -> None:
    if not batch:
        return
    replaced = [built.existing.pk for built in batch if built.existing]
    # What the replaced trials say now: their previous version once written (a new trial keeps none).
    previous = history.previous_versions(replaced)
    if replaced:
        # Replace as a whole: the old rows go, the trial keeps its id.
        Trial.objects.filter(pk__in=replaced).delete()
    now = timezone.now()
    new_ids = iter(db.allocate_ids(Trial, sum(1 for built in batch if not built.existing)))
    trial_rows = []
    for built in batch:
        built.trial.pk = built.existing.pk if built.existing else next(new_ids)
        built.trial.created_at = built.existing.created_at if built.existing else now
        built.trial.updated_at = now
        # The instance's attributes, by attname: what db_row reads.
        trial_rows.append(vars(built.trial))
    # Condition ids first: a trial's facet tokens name them.
    conditions = _condition_ids([name for built in batch for name in built.conditions])
    if connection.vendor == "postgresql":
        search.insert_trials_with_vectors(
            trial_rows, [built.documents() for built in batch], [built.facet_sources(conditions) for built in batch]
        )
    else:
        db.table(Trial).insert(trial_rows)

    # Arms and interventions need ids up front: the links point at them.
    for attribute in ("interventions", "arm_groups"):
        model = CHILD_MODELS[attribute]
        allocated = iter(db.allocate_ids(model, sum(len(built.children[attribute]) for built in batch)))
        for built in batch:
            for row in built.children[attribute]:
                row["id"] = next(allocated)
    # Sites get ids only when a contact points at them.
    pointed_sites = [
        built.children["sites"][index]
        for built in batch
        for index in dict.fromkeys(row["site"] for row in built.children["contacts"] if row.get("site") is not None)
    ]
    for row, site_id in zip(pointed_sites, db.allocate_ids(Site, len(pointed_sites)), strict=True):
        row["id"] = site_id
    for built in batch:
        for row in built.children["contacts"]:
            site = row.get("site")
            row["site_id"] = None if site is None else built.children["sites"][site]["id"]
    for attribute, model in CHILD_MODELS.items():
        rows = []
        for built in batch:
            trial_id = built.trial.pk
            for row in built.children[attribute]:
                row["trial_id"] = trial_id
                rows.append(row)
        _insert_some_with_ids(model, rows)
    _write_results(batch)
    db.table(ArmGroupIntervention).insert(
        [
            {
                "arm_group_id": built.children["arm_groups"][a]["id"],
                "intervention_id": built.children["interventions"][i]["id"],
                "position": position,
                "label_position": label_position,
            }
            for built in batch
            for a, i, position, label_position in built.links
        ],
        with_ids=False,
    )
    db.table(TrialCondition).insert(
        [
            {"trial_id": built.trial.pk, "condition_id": conditions[name], "position": position}
            for built in batch
            for position, name in enumerate(built.conditions)
        ],
        with_ids=False,
    )
    db.table(InterventionAlias).insert(
        [{**row, "trial_id": built.trial.pk} for built in batch for row in built.aliases], with_ids=False
    )
    history.keep(previous, origin, now)


def _insert_some_with_ids(model: type[models.Model], rows: list[dict]) -> None:
    """Insert rows, those with an id given (others point at them) apart from the rest."""
    with_ids = [row for row in rows if row.get("id") is not None]
    db.table(model).insert(with_ids, with_ids=True)
    db.table(model).insert([row for row in rows if row.get("id") is None], with_ids=False)


def _write_results(batch: list[_Built]) -> None:
    """Results tables, parents first; rows point at their parents by index until ids are known."""
    for name, model in RESULT_MODELS.items():
        keys = results.PARENT_KEYS.get(name, {})
        rows = []
        for built in batch:
            trial_id = built.trial.pk
            for row in built.results.get(name, ()):
                row["trial_id"] = trial_id
                for key, parent in keys.items():
                    index = row.get(key)
                    row[f"{key}_id"] = None if index is None else built.results[parent][index]["id"]
                rows.append(row)
        if name in results.PARENT_MODELS:
            for row, row_id in zip(rows, db.allocate_ids(model, len(rows)), strict=True):
                row["id"] = row_id
        _insert_some_with_ids(model, rows)


def _condition_ids(names: list[str]) -> dict[str, int]:
    names = list(dict.fromkeys(names))
    found = dict(Condition.objects.filter(name__in=names).values_list("name", "id"))
    missing = [name for name in names if name not in found]
    if missing:
        Condition.objects.bulk_create([Condition(name=name) for name in missing], ignore_conflicts=True)
        found.update(Condition.objects.filter(name__in=missing).values_list("name", "id"))
    return found
