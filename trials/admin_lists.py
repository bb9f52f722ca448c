"""A trial's long lists in the admin: edited on the trial's page up to a bound, else on their own list.

A record can hold a thousand sites and more contacts: all of them as inline
rows would make a change form of 25,000 inputs and megabytes that no browser
submits (Django refuses more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``), so the
edit would be lost. The trial's page keeps its inlines while their inputs fit
``INLINE_INPUTS``; the longest lists beyond that are linked to their own change
list, filtered to the trial, where each row is edited on its own page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import history, pages, related, search
from .models import Trial, VersionSource

# Inputs the inlines of a trial's page may hold, leaving room under Django's 1,000 for
# the trial's own fields (about 90) and rows staff add before saving.
INLINE_INPUTS = 600
# Each row's hidden id and trial inputs, which a list shown read-only renders too.
ROW_HIDDEN = 2
# And an editable row's delete box.
ROW_EXTRAS = ROW_HIDDEN + 1


@dataclass(frozen=True)
class Listed:
    """A list of the trial's shown on its own change list rather than inline."""

    inline: admin.options.InlineModelAdmin
    rows: int
    # Posted results are read-only: shown on the public Results tab, not on a change list.
    editable: bool = True

    @property
    def url(self) -> str:
        opts = self.inline.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def _names(fields) -> list[str]:
    return [name for item in fields for name in (item if isinstance(item, (list, tuple)) else (item,))]


def row_inputs(inline, request, obj) -> int:
    """The inputs one existing row of ``inline`` renders (its hidden ones for a list shown read-only)."""
    if not inline.has_change_permission(request, obj):
        return ROW_HIDDEN
    editable = [name for name in _names(inline.get_fields(request, obj)) if name not in inline.readonly_fields]
    return len(editable) + ROW_EXTRAS


def row_counts(trial: Trial, inlines: list) -> list[int]:
    """How many rows each inline holds for ``trial``, in one query."""
    counts = {
        f"rows_{index}": Coalesce(
            Subquery(
                inline.model.objects.filter(trial=OuterRef("pk"))
                .order_by()
                .values("trial")
                .annotate(rows=Count("pk"))
                .values("rows"),
                output_field=IntegerField(),
            ),
            Value(0),
        )
        for index, inline in enumerate(inlines)
    }
    if not counts:
        return []
    values = Trial.objects.filter(pk=trial.pk).annotate(**counts).values_list(*counts).first()
    return list(values) if values else [0] * len(inlines)


def within_budget(request, trial: Trial, inlines: list) -> tuple[list, list[Listed]]:
    """The inlines the trial's page shows, and the lists it links to instead (longest first out).

    Decided from the stored rows, so the page a form came from and the save
    it posts choose alike.
    """
    counts = row_counts(trial, inlines)
    sizes = [count * row_inputs(inline, request, trial) for inline, count in zip(inlines, counts, strict=True)]
    listed: list[int] = []
    total = sum(sizes)
    for index in sorted(range(len(inlines)), key=lambda index: -sizes[index]):
        if total <= INLINE_INPUTS:
            break
        listed.append(index)
        total -= sizes[index]
    shown = [inline for index, inline in enumerate(inlines) if index not in listed]
    return shown, [
        Listed(inlines[index], counts[index], inlines[index].has_change_permission(request, trial))
        for index in sorted(listed)
    ]


def links(trial: Trial, listed: list[Listed]) -> str:
    """Where each list left off the page is edited: its change list, filtered to this trial.

    A read-only list (posted results) has no change list: the Results tab shows it.
    """
    results = reverse("trials:results", args=[trial.nct_id])
    return format_html_join(
        "",
        "<p>{} {}, too many for this page: {}.</p>",
        (
            (
                f"{item.rows:,}",
                item.inline.verbose_name_plural,
                format_html('<a href="{}?trial__id__exact={}">edit them on their own list</a>', item.url, trial.pk)
                if item.editable
                else format_html('<a href="{}">see them on the Results tab</a>', results),
            )
            for item in listed
        ),
    )


def changing(trial_ids: list[int]) -> dict:
    """Before staff change rows of these trials elsewhere than on their page: their versions as they stand."""
    if not trial_ids:
        return {}
    previous = history.previous_versions(trial_ids)
    # A staff edit makes the next import compare field by field.
    Trial.objects.filter(pk__in=trial_ids).update(source_digest="")
    return previous


def changed(previous: dict, trial_ids: list[int]) -> None:
    """After: a new version of each, refreshed everywhere a save of the trial's page refreshes."""
    if not trial_ids:
        return
    # Cached pages and page documents are keyed by ``updated_at``.
    Trial.objects.filter(pk__in=trial_ids).update(updated_at=timezone.now())
    history.keep(previous, VersionSource.ADMIN)
    search.backend().update_vectors(trial_ids)
    search.aliases.refresh(trial_ids)
    related.refresh(trial_ids)
    pages.build(Trial.objects.filter(pk__in=trial_ids).values_list("nct_id", flat=True))


class TrialChildAdmin(admin.ModelAdmin):
    """One kind of a trial's rows on its own list (built by ``child_admin``).

    A save here is a change to the trial: it keeps the trial's previous
    version in its history and refreshes what the trial page's save refreshes.
    """

    list_select_related = ["trial"]
    list_per_page = 100
    raw_id_fields = ["trial"]

    def _changing(self, trial_ids: list[int]):
        return changing(trial_ids)

    def _changed(self, previous, trial_ids: list[int]) -> None:
        changed(previous, trial_ids)

    def save_model(self, request, obj, form, change):
        trial_ids = sorted({obj.trial_id, *([form.initial["trial"]] if change and form.initial.get("trial") else [])})
        previous = self._changing(trial_ids)
        super().save_model(request, obj, form, change)
        self._changed(previous, trial_ids)

    def delete_model(self, request, obj):
        previous = self._changing([obj.trial_id])
        super().delete_model(request, obj)
        self._changed(previous, [obj.trial_id])

    def delete_queryset(self, request, queryset):
        trial_ids = sorted(set(queryset.values_list("trial_id", flat=True)))
        previous = self._changing(trial_ids)
        super().delete_queryset(request, queryset)
        self._changed(previous, trial_ids)


def child_admin(inline_class) -> type[TrialChildAdmin]:
    """A change list and change form for the rows of ``inline_class``, with the inline's fields."""
    names = _names(inline_class.fields)
    model = inline_class.model
    text = [name for name in names if model._meta.get_field(name).get_internal_type() in ("CharField", "TextField")]
    return type(
        f"{model.__name__}Admin",
        (TrialChildAdmin,),
        {
            "__module__": __name__,
            "form": inline_class.form,
            "fields": ["trial", *inline_class.fields],
            "list_display": ["__str__", "trial", *[name for name in names if name != "position"][:4]],
            "search_fields": ["trial__nct_id", *text[:3]],
            "raw_id_fields": ["trial", *getattr(inline_class, "raw_id_fields", ())],
            "autocomplete_fields": list(getattr(inline_class, "autocomplete_fields", ())),
            "formfield_overrides": dict(getattr(inline_class, "formfield_overrides", {})),
        },
    )
