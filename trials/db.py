"""Database helpers several rooms share: tables written in bulk, ids taken ahead, quick answers or none.

``Table`` checks rows as the model's fields would and writes them with
PostgreSQL's binary ``COPY`` (``executemany`` elsewhere): the importers'
writer and the similarity index both save through it. ``within_time`` runs
a statement that may give up after ``COUNT_TIMEOUT_MS``, and ``estimate``
asks the planner how many rows a queryset returns: the list page counts and
facets with them, rather than make a visitor wait for an exact figure.
``without_statement_timeout`` lifts a serving process's time limit from the
connections it opens for work that is no request (the test database's set-up).
"""

from __future__ import annotations

import json
import math
import operator
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import orjson
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import OperationalError, connection, connections, models, router, transaction
from django.db.backends.signals import connection_created
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .fields import CodeListField

T = TypeVar("T")
# What ``clean_fields`` takes for an empty value: required fields refuse it, validators skip it.
BLANK = (None, "", [])
# Columns the writer fills itself: no document can put a wrong value there.
_NUMBERED = frozenset({"position", "label_position"})


class Table:
    """How rows of one model are checked and written, precomputed once.

    ``check`` does what ``clean_fields`` would (required, choices, length, the fields' validators);
    ``db_row`` turns a row of Python values into the values the database
    stores, as the fields' ``get_db_prep_save`` would, for the few kinds the
    trial models use.
    """

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [field.column for field in self.fields]
        self.attnames = [field.attname for field in self.fields]
        rules = [
            (
                index,
                field.attname,
                field.verbose_name,
                field.max_length if isinstance(field, models.CharField) else None,
                {choice for choice, _ in field.flatchoices} if field.choices else None,
                not field.blank,
            )
            for index, field in enumerate(self.fields)
            if field.editable and not field.is_relation and field.name != "id"
        ]
        # The checks of ``check`` by kind, so each row is read only where it can fail.
        self.required = [(index, attname, label) for index, attname, label, _, _, required in rules if required]
        self.choice_rules = [
            (index, attname, label, allowed) for index, attname, label, _, allowed, _ in rules if allowed is not None
        ]
        self.length_rules = [
            (index, attname, label, max_length)
            for index, attname, label, max_length, allowed, _ in rules
            if allowed is None and max_length is not None
        ]
        # The fields' own validators (an NCT ID's pattern, a URL, a number's range), as the admin
        # runs them; not on the positions the writer numbers itself.
        validated = [
            (index, field.attname, field.verbose_name, validators)
            for index, field in enumerate(self.fields)
            if field.editable and not field.is_relation and field.name != "id" and field.name not in _NUMBERED
            if (validators := [v for v in field.validators if not isinstance(v, MaxLengthValidator)])
        ]
        # A number's range is most of them, on rows imported by the hundred (adverse
        # events' counts): compared inline, its validators run only for their message.
        self.range_rules = [
            (
                index,
                attname,
                label,
                _bound(validators, MinValueValidator, max),
                _bound(validators, MaxValueValidator, min),
                validators,
            )
            for index, attname, label, validators in validated
            if all(isinstance(v, (MinValueValidator, MaxValueValidator)) for v in validators)
        ]
        ranged = {rule[0] for rule in self.range_rules}
        self.validator_rules = [rule for rule in validated if rule[0] not in ranged]
        converters = [self._converter(field) for field in self.fields]
        self.converted = [(index, convert) for index, convert in enumerate(converters) if convert]
        self.defaults = [None if field.primary_key else field.get_default() for field in self.fields]
        self.default_row = dict(zip(self.attnames, self.defaults, strict=True))
        self.columns_with_id = _tuple_getter(self.attnames)
        self.columns_without_id = _tuple_getter(self.attnames[1:])
        # Defaults made fresh for each instance (a new list, the current time).
        self.fresh_defaults = [
            (index, field.get_default)
            for index, field in enumerate(self.fields)
            if field.has_default() and callable(field.default) and not field.primary_key
        ]

    @staticmethod
    def _converter(field: models.Field):
        if isinstance(field, CodeListField):
            return lambda value: ",".join(value or ())
        if isinstance(field, models.JSONField) and connection.vendor != "postgresql":
            # PostgreSQL's binary COPY takes the value itself, typed jsonb.
            return lambda value: json.dumps(value, ensure_ascii=False)
        return None

    def instance(self, values: dict) -> models.Model:
        """A model instance of ``values`` (by attname), defaults for the rest.

        Built positionally, as Django builds instances read from the database:
        several times cheaper than keyword arguments for a model as wide as a trial.
        """
        row = [values.get(attname, default) for attname, default in zip(self.attnames, self.defaults, strict=True)]
        for index, make in self.fresh_defaults:
            if self.attnames[index] not in values:
                row[index] = make()
        return self.model(*row)

    def check(self, row: dict, prefix: str) -> list[str]:
        """What ``clean_fields`` would say of ``row``: blank required fields, unknown choices, lengths, validators."""
        errors: list[tuple[int, str]] = []
        get = row.get
        for index, attname, label in self.required:
            if get(attname) in BLANK:
                errors.append((index, f"{prefix}{label}: this field cannot be blank."))
        for index, attname, label, allowed in self.choice_rules:
            value = get(attname)
            if value in BLANK:
                continue
            if isinstance(value, list):
                if not set(value) <= allowed:
                    errors.append((index, f"{prefix}{label}: {value!r} holds an unknown value."))
            elif value not in allowed:
                errors.append((index, f"{prefix}{label}: {value!r} is not a valid choice."))
        for index, attname, label, max_length in self.length_rules:
            value = get(attname)
            if value and not isinstance(value, list) and len(value) > max_length:
                errors.append((index, f"{prefix}{label}: longer than {max_length} characters."))
        for index, attname, label, low, high, validators in self.range_rules:
            value = get(attname)
            try:
                if value is None or low <= value <= high:
                    continue
            except TypeError:
                pass  # not a number: the validators say so
            errors += _invalid(index, f"{prefix}{label}", value, validators)
        for index, attname, label, validators in self.validator_rules:
            value = get(attname)
            if value not in BLANK:
                errors += _invalid(index, f"{prefix}{label}", value, validators)
        # In the fields' order, as one pass over the fields would give them.
        return [message for _, message in sorted(errors, key=lambda error: error[0])] if errors else []

    def db_row(self, row: dict, with_id: bool = True) -> list:
        # Defaults under the row's own values, then the columns in order: a
        # dict merge and an itemgetter, where most of an import's rows pass.
        values = list((self.columns_with_id if with_id else self.columns_without_id)({**self.default_row, **row}))
        for index, convert in self.converted:
            index -= 0 if with_id else 1
            if values[index] is not None:
                values[index] = convert(values[index])
        return values

    def insert(self, rows: list[dict], with_ids: bool = True) -> None:
        if not rows:
            return
        # The id is the first column: without one, the database gives it.
        columns = self.columns if with_ids else self.columns[1:]
        db_rows = [self.db_row(row, with_ids) for row in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                copy_rows(cursor, self.model._meta.db_table, columns, db_rows)
                return
            quote = connection.ops.quote_name
            table, column_list = quote(self.model._meta.db_table), ", ".join(quote(column) for column in columns)
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})", db_rows)


def _bound(validators: list, kind: type, pick) -> float:
    limits = [validator.limit_value for validator in validators if isinstance(validator, kind)]
    if not limits:
        return -math.inf if kind is MinValueValidator else math.inf
    return pick(limits)


def _invalid(index: int, label: str, value, validators: list) -> list[tuple[int, str]]:
    """What ``validators`` say of ``value``, as (field index, message) pairs."""
    errors = []
    for validator in validators:
        try:
            validator(value)
        except ValidationError as error:
            errors += [(index, f"{label}: {message}") for message in error.messages]
    return errors


def _tuple_getter(keys: list[str]):
    """A function giving a dict's values at ``keys`` as a tuple (itemgetter gives one key's value bare)."""
    if len(keys) == 1:
        return lambda values: (values[keys[0]],)
    return operator.itemgetter(*keys)


def copy_rows(cursor, table: str, columns: list[str], rows: Iterable[list]) -> None:
    """``COPY`` rows into a PostgreSQL table, in the binary format.

    Binary rows cost a third of text ones to encode here and less to decode
    in the server; they need each column's type, which the catalog gives.
    """
    types = _column_types(cursor, table)
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN (FORMAT BINARY)"
    # The raw psycopg cursor: wrap its errors as Django's, like any query's.
    with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        copy.set_types([types[column] for column in columns])
        for values in rows:
            copy.write_row(values)


# Table → column → type OID. Built-in types keep their OIDs, and the tables
# their columns while a process runs, so the catalog is read once per table.
_COLUMN_TYPES: dict[str, dict[str, int]] = {}


def _column_types(cursor, table: str) -> dict[str, int]:
    if table not in _COLUMN_TYPES:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped",
            [table],
        )
        _COLUMN_TYPES[table] = dict(cursor.fetchall())
    return _COLUMN_TYPES[table]


_TABLES: dict[type[models.Model], Table] = {}


def table(model: type[models.Model]) -> Table:
    if model not in _TABLES:
        _TABLES[model] = Table(model)
    return _TABLES[model]


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Ids for rows about to be inserted, so their children can point at them."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(sequence) FROM pg_get_serial_sequence(%s, 'id') AS sequence, generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction holds the write lock, so nobody else takes these.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


# How long a count or a facet may take on PostgreSQL before it gives way.
COUNT_TIMEOUT_MS = 50


class TooLong(Exception):
    """The statements under ``time_limit`` took longer than it allows."""


def reading_connection():
    """The connection the trials are read from now: a visitor's replica, else the primary."""
    from .models import Trial  # the models import this module

    return connections[router.db_for_read(Trial)]


@contextmanager
def time_limit(milliseconds: int, savepoint: bool = False) -> Iterator[None]:
    """The statements inside share ``milliseconds`` between them, or ``TooLong`` is raised.

    On PostgreSQL, inside a transaction, each statement is given the time
    left (``statement_timeout``, set locally): a statistic over every field
    runs a dozen statements, each may stay under the server's own limit
    while together they hold a worker for seconds. Elsewhere (SQLite), and
    with 0, there is no limit.

    Requests run outside any transaction: this one holds the limit and ends
    with it. A caller's transaction gets its own limit back; with
    ``savepoint`` it outlives a cancelled statement (a count that gives way),
    without, a cancelled statement ends it as any failed statement does.
    The limit is on the connection the trials are read from (a visitor's
    replica), where the statements inside run.
    """
    reading = reading_connection()
    if reading.vendor != "postgresql" or milliseconds <= 0:
        yield
        return
    deadline = time.monotonic() + milliseconds / 1000

    def limited(execute, sql, params, many, context):
        left = int((deadline - time.monotonic()) * 1000)
        if left <= 0:
            raise TooLong
        _set_statement_timeout(context["connection"].connection, f"{left}ms")
        return execute(sql, params, many, context)

    nested = reading.in_atomic_block
    try:
        with transaction.atomic(using=reading.alias, savepoint=savepoint):
            raw = reading.connection
            previous = raw.execute("SELECT current_setting('statement_timeout')").fetchone()[0] if nested else None
            with reading.execute_wrapper(limited):
                yield
            if nested:
                _set_statement_timeout(raw, previous)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise TooLong from error
        raise


def _set_statement_timeout(raw, value: str) -> None:
    """For the transaction, on the driver's connection: no query Django counts."""
    raw.execute("SELECT set_config('statement_timeout', %s, true)", [value])


def within_time(query: Callable[[], T]) -> T | None:
    """``query()``, or None if PostgreSQL cannot answer it within ``COUNT_TIMEOUT_MS``: the caller goes on."""
    try:
        with time_limit(COUNT_TIMEOUT_MS, savepoint=True):
            return query()
    except TooLong:
        return None


def _no_statement_timeout(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")


@contextmanager
def without_statement_timeout() -> Iterator[None]:
    """PostgreSQL connections opened inside have no statement time limit, whatever their startup options.

    A process that serves requests opens its connections with a limit
    (``PUBLIC_STATEMENT_TIMEOUT_MS``); creating, migrating and dropping the
    test database is no request, and on a loaded machine outlasts it.
    A connection opened before keeps its limit.
    """
    connection_created.connect(_no_statement_timeout)
    try:
        yield
    finally:
        connection_created.disconnect(_no_statement_timeout)


def analyze_trials() -> None:
    """Fresh statistics of the trials (PostgreSQL), after a step that wrote many of them.

    Without them the planner takes a table it has just seen filled for nearly
    empty, and nests loops over it (the facets' subqueries went from 1 ms to
    500 ms); taken before a later step rewrites the rows, they have it scale
    the row count by the grown table. Autovacuum would catch up later.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trials_trial")


def estimate(queryset: QuerySet) -> int | None:
    """The planner's estimate of how many rows ``queryset`` returns (PostgreSQL; None elsewhere)."""
    if connection.vendor != "postgresql":
        return None
    if queryset.query.is_empty():
        return 0  # a filter that can match nothing (an unknown condition): no query, no plan
    plan = json.loads(queryset.explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class JSONRows(models.Aggregate):
    """Rows as one JSON text: an array holding, per row, the array of the expressions' values.

    In no set order (SQLite before 3.44 cannot order inside an aggregate):
    ``PackedRows`` sorts. SQLite writes a float with 15 digits in JSON, so it
    sends floats as 17-digit text, which reads back exactly; it stores JSON
    as text, which ``json()`` embeds as JSON.
    """

    output_field = models.TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "COALESCE(json_agg(json_build_array(%(expressions)s))::text, '[]')"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        wrapped = self.copy()
        wrapped.set_source_expressions([_sqlite_json_value(item) for item in self.get_source_expressions()])
        template = "json_group_array(json_array(%(expressions)s))"
        return models.Aggregate.as_sql(wrapped, compiler, connection, template=template, **extra_context)


def _sqlite_json_value(expression):
    if expression is None:  # an aggregate's filter or ordering, unused
        return expression
    field = expression.output_field
    if isinstance(field, models.FloatField):
        return _ExactFloat(expression)
    if isinstance(field, models.JSONField):
        return models.Func(expression, function="json", output_field=models.TextField())
    return expression


class _ExactFloat(models.Func):
    """A float as text with 17 digits, which reads back exactly (SQLite); NULL stays NULL, not "0.0"."""

    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CASE WHEN {sql} IS NULL THEN NULL ELSE printf(%s, {sql}) END", (*params, "%!.17g", *params)


def _json_converter(field: models.Field) -> Callable | None:
    """What turns a value read from JSON into the field's Python value (SQLite's 0/1, a float's text)."""
    if isinstance(field, models.BooleanField):
        return lambda value: None if value is None else bool(value)
    if isinstance(field, models.FloatField):
        return lambda value: None if value is None else float(value)
    return None


def _field(model: type[models.Model], path: str) -> models.Field:
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


class PackedRows:
    """One table's rows of each trial, read in the trial's own query as one JSON column.

    ``expression()`` is a correlated subquery to annotate trials with (``key``
    leads from a row to its trial's id); ``rows()`` reads its value back as
    tuples of ``columns`` in the model's order, as a query per table would
    return them. A page then costs one query however many tables and rows.
    """

    def __init__(self, model: type[models.Model], key: str, columns: Iterable[str]):
        self.model, self.key, self.columns = model, key, tuple(columns)
        self.order = tuple(model._meta.ordering)
        self._compiled: dict[str, tuple[str, tuple]] = {}
        self.converters = [
            (index, convert)
            for index, name in enumerate(self.columns)
            if (convert := _json_converter(_field(model, name))) is not None
        ]

    def expression(self) -> RawSQL:
        """The correlated subquery, as SQL compiled once per database vendor.

        It refers to the trial by its table's name, as a query of trials
        does; building and compiling fourteen of them through the ORM cost
        more than running the query.
        """
        if connection.vendor not in self._compiled:
            trials = _field(self.model, self.key).related_model._base_manager.all().query
            subquery = self._build().resolve_expression(trials)
            sql, params = subquery.as_sql(trials.get_compiler(connection=connection), connection)
            self._compiled[connection.vendor] = (sql, tuple(params))
        sql, params = self._compiled[connection.vendor]
        return RawSQL(sql, params, output_field=models.TextField())

    def _build(self) -> models.Subquery:
        rows = (
            self.model._base_manager.filter(**{self.key: models.OuterRef("pk")})
            .order_by()
            .values(self.key)
            .annotate(rows=JSONRows(*self.order, *self.columns))
            .values("rows")
        )
        return models.Subquery(rows, output_field=models.TextField())

    def rows(self, text: str | None) -> list[tuple]:
        if not text:
            return []
        width = len(self.order)
        packed = sorted(orjson.loads(text), key=lambda row: tuple(row[:width]))
        result = []
        for row in packed:
            values = row[width:]
            for index, convert in self.converters:
                values[index] = convert(values[index])
            result.append(tuple(values))
        return result


class _OrderedJSONRows(JSONRows):
    """``JSONRows`` whose first ``width`` expressions order the rows: inside the aggregate on PostgreSQL, and
    left out of them; elsewhere (no ORDER BY in SQLite's aggregates before 3.44) they lead each row."""

    def __init__(self, *expressions, width: int, **extra):
        super().__init__(*expressions, **extra)
        self.width = width

    def as_postgresql(self, compiler, connection, **extra_context):
        # The aggregate's own filter and ordering (None here) follow its expressions.
        expressions = [expression for expression in self.get_source_expressions() if expression is not None]
        compiled = [compiler.compile(expression) for expression in expressions]
        order, values = compiled[: self.width], compiled[self.width :]
        sql = "COALESCE(json_agg(json_build_array({}) ORDER BY {})::text, '[]')".format(
            ", ".join(part for part, _ in values), ", ".join(part for part, _ in order)
        )
        return sql, [param for _, params in (*values, *order) for param in params]


class LightRows(PackedRows):
    """A table's rows of each trial as plain lists in the model's order, read in the trial's own query.

    For a page that reads a thousand rows as tuples, not instances: PostgreSQL
    orders them as it aggregates, so reading them back is one ``orjson.loads``
    (and the converters of the few values JSON cannot tell apart, a float
    written without its ``.0``).
    """

    def _build(self) -> models.Subquery:
        rows = (
            self.model._base_manager.filter(**{self.key: models.OuterRef("pk")})
            .order_by()
            .values(self.key)
            .annotate(rows=_OrderedJSONRows(*self.order, *self.columns, width=len(self.order)))
            .values("rows")
        )
        return models.Subquery(rows, output_field=models.TextField())

    def rows(self, text: str | None) -> list[list]:
        if not text:
            return []
        packed = orjson.loads(text)
        if connection.vendor != "postgresql":
            width = len(self.order)
            packed = [row[width:] for row in sorted(packed, key=lambda row: tuple(row[:width]))]
        for index, convert in self.converters:
            for row in packed:
                row[index] = convert(row[index])
        return packed


class GroupedLightRows(LightRows):
    """``LightRows`` in groups by the column ``group`` (a site's contacts by the site): one JSON object of
    each group's rows as JSON text, so that a reader parses the groups it shows only (``group_rows``).

    A NULL ``group`` is the key "0".
    """

    def __init__(self, model: type[models.Model], key: str, columns: Iterable[str], group: str):
        super().__init__(model, key, columns)
        self.group = group

    def expression(self) -> RawSQL:
        inner = super().expression()
        template = {
            "postgresql": "(SELECT COALESCE(json_object_agg(COALESCE(g.{0}, 0), g.rows)::text, '{{}}') FROM {1} g)",
            # ``|| ''``: the group's rows as text, not JSON (SQLite would embed JSON it made itself).
            "sqlite": "(SELECT json_group_object(COALESCE(g.{0}, 0), g.rows || '') FROM {1} g)",
        }[connection.vendor]
        sql = template.format(connection.ops.quote_name(self.group), inner.sql)
        return RawSQL(sql, inner.params, output_field=models.TextField())

    def _build(self) -> models.Subquery:
        rows = (
            self.model._base_manager.filter(**{self.key: models.OuterRef("pk")})
            .order_by()
            .values(self.key, self.group)
            .annotate(rows=_OrderedJSONRows(*self.order, *self.columns, width=len(self.order)))
            .values(self.group, "rows")
        )
        return models.Subquery(rows, output_field=models.TextField())

    def groups(self, text: str | None) -> dict[str, str]:
        """Each group's rows, as JSON text for ``rows``, by the group's value as text."""
        return orjson.loads(text) if text else {}
