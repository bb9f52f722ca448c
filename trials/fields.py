"""A model field for the registry's short lists of codes.

ClinicalTrials.gov gives some elements as lists of codes: a trial's phases
(``["PHASE1", "PHASE2"]``) or who is masked. They are stored as one
comma-separated column, so that both SQLite and PostgreSQL can filter on
them with an ordinary regular-expression lookup, and read back as a list.
"""

from __future__ import annotations

from django import forms
from django.core import exceptions
from django.core.exceptions import EmptyResultSet
from django.db import models


class CodeListField(models.CharField):
    """A list of codes from one ``TextChoices``, stored as ``"A,B"``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or value == "":
            return []
        if isinstance(value, (list, tuple)):
            return list(value)
        return [code for code in str(value).split(",") if code]

    def get_prep_value(self, value):
        if isinstance(value, (list, tuple)):
            return ",".join(value)
        return value or ""

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance):
        if not self.editable:
            return
        allowed = {choice for choice, _ in self.choices or ()}
        unknown = [code for code in value if code not in allowed]
        if unknown:
            raise exceptions.ValidationError(
                "Unknown value(s): %(codes)s.", code="invalid_choice", params={"codes": ", ".join(unknown)}
            )
        if len(set(value)) != len(value):
            raise exceptions.ValidationError("A value is listed twice.", code="duplicate")
        if not self.blank and not value:
            raise exceptions.ValidationError(self.error_messages["blank"], code="blank")

    def run_validators(self, value):
        super().run_validators(self.get_prep_value(value))

    def formfield(self, **kwargs):
        defaults = {
            "choices_form_class": forms.TypedMultipleChoiceField,
            "widget": forms.CheckboxSelectMultiple,
            "coerce": str,
            "empty_value": [],
        }
        defaults.update(kwargs)
        return super().formfield(**defaults)

    def get_choices(self, include_blank=True, **kwargs):
        return super().get_choices(include_blank=False, **kwargs)

    def _check_choices(self):
        return []


class TokenListField(models.Field):
    """A trial's facet tokens (``S:RECRUITING``, ``N:FRANCE``): a text array on PostgreSQL.

    What the filters ask of a trial (its status, phases, sites' countries,
    conditions...) as tokens in one array, indexed with its search vector in
    a single GIN index, so that text and filters are matched in one index
    scan. They are written by the database itself (the SQL function
    ``trials_facet_tokens``, migration 0012); other databases leave the column
    empty and filter on the columns.
    """

    description = "Facet tokens"

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else "text"


@TokenListField.register_lookup
class AnyToken(models.Lookup):
    """``facet_tokens__any=["s:RECRUITING", "s:COMPLETED"]``: the trial has one of these tokens.

    Tokens are stored in upper case, as ``upper()`` makes them; the wanted ones
    go through ``upper()`` too, which PostgreSQL folds into constants, so the
    planner sees (and estimates) the array itself.
    """

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        tokens = [str(token) for token in self.rhs]
        array = ", ".join(["upper(%s)"] * len(tokens))
        return f"{lhs} && ARRAY[{array}]::text[]", [*lhs_params, *tokens]


class AnyOf(models.Lookup):
    """``trial_id__any_of=ids``: ``= ANY(%s)`` on PostgreSQL, ``IN (...)`` elsewhere.

    One array parameter instead of one per id: an API page reads 28 tables
    for up to 1,000 trials, and placing thousands of parameters costs more
    than the queries.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(value) for value in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, values]
        if not values:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


models.ForeignKey.register_lookup(AnyOf)
models.BigAutoField.register_lookup(AnyOf)
