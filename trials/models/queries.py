"""How trials are read: the querysets of pages, lists and exports, and the packed loading of their children.

A trial page reads the trial and every child table it shows in one query
(``with_rows``: the children packed as JSON rows, ``db.PackedRows``), so a
page's query count does not grow with the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache

from django.apps import apps
from django.db import connections, models
from django.db.models import Q
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.db.models.query import ModelIterable

from .. import choices, status
from ..db import LightRows, PackedRows


def has_phase(phase: str) -> Q:
    """Trials whose phases include ``phase``, with LIKE (far cheaper than a regex per row).

    Codes never contain one another, but for PHASE1 inside EARLY_PHASE1: that one
    must start the list or follow a comma.
    """
    if phase == "PHASE1":
        return Q(phases__startswith="PHASE1") | Q(phases__contains=",PHASE1")
    return Q(phases__contains=phase)


class TrialQuerySet(models.QuerySet):
    def recruiting(self) -> TrialQuerySet:
        # Not those whose status lapsed into "Unknown status" (``status``): a patient cannot count on them.
        return self.filter(overall_status__in=choices.OPEN_STATUSES).exclude(status.lapsed())

    def aliased_as(self, nct_id: str) -> TrialQuerySet:
        """The trial that lists ``nct_id`` among its ``nctIdAliases``, the IDs of registrations merged into it.

        On PostgreSQL a containment on the aliases' GIN index (migration 0025);
        elsewhere, a match on the stored JSON text, quotes included, so that an
        alias never matches part of another. Unordered: an ORDER BY would let
        the planner walk a sort index past every trial instead.
        """
        if connections[self.db].vendor == "postgresql":
            return self.filter(nct_id_aliases__contains=[nct_id]).order_by()
        text = Cast("nct_id_aliases", models.TextField())
        return self.alias(aliases_text=text).filter(aliases_text__contains=f'"{nct_id}"').order_by()

    def merged_into(self, nct_id: str) -> str | None:
        """The NCT ID of the trial the registry merged ``nct_id`` into, or None."""
        found = self.aliased_as(nct_id).values_list("nct_id", flat=True)[:1]
        return found[0] if found else None

    def with_phase(self, phase: str) -> TrialQuerySet:
        return self.filter(has_phase(phase))

    def for_list(self) -> TrialQuerySet:
        """The columns a list row shows; ``list_rows.list_rows`` reads its conditions, interventions and sponsor.

        Only those columns: the long texts would be read from their TOAST
        tables and decompressed for nothing.
        """
        return self.only(*LIST_COLUMNS)

    def with_rows(self, *relations: str) -> TrialQuerySet:
        """The trials with these children read in their own query, where ``prefetch_related`` would put them.

        Each relation (``sites``, or ``arm_groups__intervention_links``) comes
        back as one JSON column (``db.PackedRows``) and is made into instances,
        so ``trial.sites.all()`` and the templates read no more: a page costs
        one query however large its record.
        """
        clone = self.annotate(**{_PACKED_PREFIX + relation: _packed(relation).expression() for relation in relations})
        clone._iterable_class = PackedIterable
        return clone

    def one_with_rows(
        self,
        nct_id: str,
        relations: tuple[str, ...],
        light: tuple[tuple[str, LightRows], ...] = (),
        document: tuple[str, tuple[str, ...]] | None = None,
    ) -> models.Model:
        """``with_rows(*relations).get(nct_id=nct_id)``, its statement built and compiled once per process.

        A trial page's query carries a dozen packed relations: the ORM took
        about as long to build and compile it as the database to answer it.
        ``light`` adds (name, ``db.LightRows``) columns, left on the trial as
        their JSON text for the caller to read (``trials.sites``): a page's
        thousand sites as tuples, in the same query. Raises ``DoesNotExist``
        as ``get`` does.

        ``document`` is (release, what it leaves needed): the trial's page
        document (``TrialPage``) of that release comes too, as
        ``trial.page_parts``, if it was built from the trial as it stands
        (its ``updated_at``); None otherwise. When it comes, the database
        skips the packed relations and light rows but those named needed
        (their light rows are then None).
        """
        release, needed = document or ("", ())
        statement = _one_statement(relations, light, self.db, document is not None, needed)
        connection = connections[self.db]
        values = {_NCT_ID: nct_id, _RELEASE: release}
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, [values.get(param, param) for param in statement.params])
            rows = cursor.fetchall()
        if not rows:
            raise self.model.DoesNotExist(f"No trial {nct_id}.")
        row = list(rows[0])  # NCT IDs are unique
        # The values as the ORM gives them (dates on SQLite, JSON, code lists): each column's converters.
        for index, expression, converters in statement.converters(connection):
            for convert in converters:
                row[index] = convert(row[index], expression, connection)
        # A hundred columns: made as the children are, without ``Model.__init__``'s call per field.
        trial = _from_db(self.model, self.db, statement.columns, row[: len(statement.columns)])
        for name, index in statement.annotations.items():
            trial.__dict__[name] = row[index]
        if document is None or trial.__dict__["page_parts"] is None:
            _unpack(trial, relations, self.db)
        else:
            for relation in relations:
                if relation not in needed:
                    trial.__dict__.pop(_PACKED_PREFIX + relation)
            _unpack(trial, [relation for relation in relations if relation in needed], self.db)
        return trial

    def without_page_document(self, release: str) -> TrialQuerySet:
        """The trials with no page document of ``release`` built from them as they stand (``trials.pages``)."""
        return self.alias(current_page=_page_document(self.db, release)).filter(current_page__isnull=True)

    def for_detail(self) -> TrialQuerySet:
        """Everything a trial's tabs show, in the trial's own query."""
        return self.with_rows(*DETAIL_RELATIONS)

    def for_page(self) -> TrialQuerySet:
        """What a trial's tabs show but its sites and their contacts, which a page reads as light rows
        (``trials.sites``): a thousand-site trial costs it tuples, not two thousand instances."""
        return self.with_rows(*PAGE_RELATIONS)

    def for_structured_data(self) -> TrialQuerySet:
        """What every tab's JSON-LD reads (``structured_data.medical_trial``) but the sites, read apart."""
        return self.with_rows(*STRUCTURED_DATA_RELATIONS)

    def with_results(self) -> TrialQuerySet:
        """Posted results: every results table, however many groups and measures."""
        return self.with_rows(*RESULT_RELATIONS.values())

    def for_export(self) -> TrialQuerySet:
        """A trial with everything its record holds: the tabs' children and the results."""
        return self.for_detail().with_results()


# The children a trial's tabs show.
DETAIL_RELATIONS = (
    "trial_conditions",
    "sponsors",
    "officials",
    "references",
    "identifiers",
    "related_trials",
    "mesh_terms",
    "outcome_measures",
    "documents",
    "contacts",
    "sites",
    "interventions",
    "arm_groups",
    "arm_groups__intervention_links",
)
# Stand for the NCT ID and the page document's release in a statement compiled once.
_NCT_ID = "NCT_ID_OF_THE_PAGE"
_RELEASE = "RELEASE_OF_THE_PAGE_DOCUMENT"


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    # The model's columns (the first of each row), the annotations' positions and every column's expression.
    columns: tuple[str, ...]
    annotations: dict[str, int]
    expressions: tuple
    # Per connection: the columns that have converters, with them (asking each column cost a page 0.2 ms).
    _converters: dict = dataclass_field(default_factory=dict, compare=False)

    def converters(self, connection) -> list[tuple[int, object, list]]:
        found = self._converters.get(connection)
        if found is None:
            found = self._converters[connection] = []
            for index, expression in enumerate(self.expressions):
                converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
                if converters:
                    found.append((index, expression, converters))
        return found


@cache
def _one_statement(
    relations: tuple[str, ...],
    light: tuple[tuple[str, LightRows], ...],
    alias: str,
    document: bool = False,
    needed: tuple[str, ...] = (),
) -> _Statement:
    """``one_with_rows``' statement, compiled as ``ModelIterable`` compiles it."""
    trial = apps.get_model("trials", "Trial")
    queryset = trial._default_manager.using(alias)
    if not document:
        queryset = queryset.with_rows(*relations)
    else:
        queryset = queryset.with_rows(*(relation for relation in relations if relation in needed))
        page = _page_document(alias)
        skipped = {}
        for relation in relations:
            if relation not in needed:
                # The relation is read only when the document is not: a CASE runs its subquery only when taken.
                packed = _packed(relation).expression()
                sql = f"CASE WHEN {page.sql} IS NULL THEN {packed.sql} END"
                skipped[_PACKED_PREFIX + relation] = RawSQL(
                    sql, (*page.params, *packed.params), output_field=models.TextField()
                )
        for name, rows in light:
            if name not in needed:
                # Light rows too: read as NULL when the document is there.
                expression = rows.expression()
                skipped[name] = RawSQL(
                    f"CASE WHEN {page.sql} IS NULL THEN {expression.sql} END",
                    (*page.params, *expression.params),
                    output_field=models.TextField(),
                )
        queryset = queryset.annotate(page_parts=page, **skipped)
    queryset = queryset.annotate(**{name: rows.expression() for name, rows in light if not document or name in needed})
    queryset = queryset.filter(nct_id=_NCT_ID).order_by()
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    fields = compiler.klass_info["select_fields"]
    columns = tuple(column[0].target.attname for column in compiler.select[fields[0] : fields[-1] + 1])
    return _Statement(
        sql,
        tuple(params),
        columns,
        dict(compiler.annotation_col_map),
        tuple(column[0] for column in compiler.select),
    )


def _page_document(alias: str, release: str = _RELEASE) -> RawSQL:
    """The trial's page document of the release asked for, if built from the trial as it stands; else NULL."""
    trial = apps.get_model("trials", "Trial")
    page = apps.get_model("trials", "TrialPage")
    quote = connections[alias].ops.quote_name
    table, pages = quote(trial._meta.db_table), quote(page._meta.db_table)
    updated = f"{table}.{quote('updated_at')}"
    if connections[alias].vendor == "sqlite":
        # SQLite keeps datetimes as text: the writer's with their UTC offset, the ORM's without.
        updated = f"replace({updated}, '+00:00', '')"
    sql = (
        f"(SELECT p.{quote('parts')} FROM {pages} p WHERE p.{quote('trial_id')} = {table}.{quote('id')}"
        f" AND p.{quote('release')} = %s AND p.{quote('trial_updated_at')} = {updated})"
    )
    return RawSQL(sql, (release,), output_field=models.JSONField())


# What ``for_page`` leaves to ``trials.sites``.
PAGE_APART = ("sites", "contacts")
PAGE_RELATIONS = tuple(relation for relation in DETAIL_RELATIONS if relation not in PAGE_APART)
STRUCTURED_DATA_RELATIONS = ("trial_conditions", "sponsors", "interventions", "arm_groups")
_PACKED_PREFIX = "packed_rows_"


@cache
def _packed(relation: str) -> PackedRows:
    """How ``with_rows`` reads a relation: every column, and the condition's name with a trial's conditions."""
    trial = apps.get_model("trials", "Trial")
    if relation == "arm_groups__intervention_links":
        model = trial._meta.get_field("arm_groups").related_model
        link = model._meta.get_field("intervention_links").related_model
        return PackedRows(link, "arm_group__trial", _attnames(link))
    model = trial._meta.get_field(relation).related_model
    extra = ("condition__name",) if relation == "trial_conditions" else ()
    return PackedRows(model, "trial", (*_attnames(model), *extra))


def _attnames(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


class PackedIterable(ModelIterable):
    """Trials from ``with_rows``: each packed relation unpacked into the prefetch cache."""

    def __iter__(self):
        names = [name for name in self.queryset.query.annotations if name.startswith(_PACKED_PREFIX)]
        relations = [name.removeprefix(_PACKED_PREFIX) for name in names]
        for trial in super().__iter__():
            _unpack(trial, relations, self.queryset.db)
            yield trial


def _unpack(trial: models.Model, relations: Iterable[str], db: str) -> None:
    """The packed columns of ``relations`` on ``trial`` made into instances, where ``prefetch_related`` puts them."""
    prefetched = trial.__dict__.setdefault("_prefetched_objects_cache", {})
    # Arms and interventions before the links between them.
    for relation in sorted(relations, key=lambda name: "__" in name):
        text = trial.__dict__.pop(_PACKED_PREFIX + relation)
        packed = _packed(relation)
        if relation == "arm_groups__intervention_links":
            _link_arms(prefetched, packed, packed.rows(text), db)
            continue
        field = type(trial)._meta.get_field(relation).field
        width = len(packed.columns) - (relation == "trial_conditions")
        items = []
        for row in packed.rows(text):
            item = _from_db(packed.model, db, packed.columns[:width], row[:width])
            field.set_cached_value(item, trial)
            if relation == "trial_conditions":
                condition = _from_db(
                    apps.get_model("trials", "Condition"), db, ("id", "name"), (item.condition_id, row[width])
                )
                item._meta.get_field("condition").set_cached_value(item, condition)
            items.append(item)
        _prefetch(trial, relation, items)
    if "contacts" in prefetched and "sites" in prefetched:
        sites = {site.pk: site for site in prefetched["sites"]}
        for contact in prefetched["contacts"]:
            if contact.site_id is not None:
                contact._meta.get_field("site").set_cached_value(contact, sites[contact.site_id])


def _link_arms(prefetched: dict, packed: PackedRows, rows: list[tuple], db: str) -> None:
    """Each arm's interventions given (``arm.intervention_links``), each link naming its intervention."""
    arms = {arm.pk: arm for arm in prefetched["arm_groups"]}
    interventions = {item.pk: item for item in prefetched.get("interventions", ())}
    links: dict[int, list] = {pk: [] for pk in arms}
    arm_field, intervention_field = (packed.model._meta.get_field(name) for name in ("arm_group", "intervention"))
    for row in rows:
        link = _from_db(packed.model, db, packed.columns, row)
        arm = arms[link.arm_group_id]
        arm_field.set_cached_value(link, arm)
        if link.intervention_id in interventions:
            intervention_field.set_cached_value(link, interventions[link.intervention_id])
        links[arm.pk].append(link)
    for pk, arm in arms.items():
        _prefetch(arm, "intervention_links", links[pk])


def _from_db(model: type[models.Model], db: str, columns: tuple[str, ...], values) -> models.Model:
    """``model.from_db(db, columns, values)`` without ``Model.__init__``'s call per field (and its signals, which
    no model here receives): a page makes a few dozen children, a big record thousands."""
    item = model.__new__(model)
    item._state = ModelState()
    item._state.adding, item._state.db = False, db
    item.__dict__.update(zip(columns, values, strict=True))
    return item


def _prefetch(instance: models.Model, relation: str, items: list) -> None:
    """Put ``items`` where ``prefetch_related`` would: a queryset of ``relation`` whose rows are already read.

    Built as the relation's manager builds it (its filter on ``instance`` deferred
    until a chained query needs it), without the manager: that cost a page a
    dozen routings and clones.
    """
    key = type(instance)._meta.get_field(relation).field
    rows = key.model._default_manager.get_queryset()
    rows._add_hints(instance=instance)
    rows._deferred_filter = (False, (), {key.name: instance})
    rows._known_related_objects = {key: {instance.pk: instance}}
    rows._result_cache, rows._prefetch_done = items, True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = rows


# The trial columns a list row (``includes/trial_row.html``) shows.
LIST_COLUMNS = (
    "nct_id",
    "brief_title",
    *status.COLUMNS,
    "phases",
    "study_type",
    "minimum_age",
    "maximum_age",
    "sex",
    "last_update_posted_date",
)

# Results model → the trial's relation to its rows (every result row points at its trial).
RESULT_RELATIONS: dict[str, str] = {
    "ResultGroup": "result_groups",
    "FlowPeriod": "flow_periods",
    "FlowStep": "flow_steps",
    "FlowCount": "flow_counts",
    "ResultDenom": "result_denoms",
    "DenomCount": "denom_counts",
    "ResultMeasure": "result_measures",
    "MeasureClass": "measure_classes",
    "MeasureCategory": "measure_categories",
    "Measurement": "measurements",
    "OutcomeAnalysis": "outcome_analyses",
    "AdverseEvent": "adverse_events",
    "AdverseEventCount": "adverse_event_counts",
}

# What a trial's tabs read in the trial's query: the Results tab its tables and what its JSON-LD needs.
PAGE_ROWS = {"results": (*STRUCTURED_DATA_RELATIONS, *RESULT_RELATIONS.values())}
