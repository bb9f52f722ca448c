"""Text in the admin: as its forms read and label it, and as its history reports a change.

One kind of line end, whatever the browser sends: browsers submit a
textarea's line ends as ``\\r\\n`` (the HTML form encoding); the registry's
texts and ours end lines with ``\\n``. Read as they come, every save would
rewrite every long text and the history would report changes nobody made.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models

from . import characters


def unix_newlines(value):
    """``value`` with ``\\r\\n`` and lone ``\\r`` line ends as ``\\n``; anything not a text as it is."""
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def read_newlines(field: forms.CharField) -> None:
    """Make this form's copy of ``field`` read line ends as ``\\n``, and compare them so with what was stored."""
    to_python, has_changed = field.to_python, field.has_changed
    field.to_python = lambda value: to_python(unix_newlines(value))
    field.has_changed = lambda initial, data: has_changed(unix_newlines(initial), data)


def keep_unchanged(form: forms.BaseForm, data: dict) -> None:
    """A text field the user did not change keeps its stored value exactly (line ends included)."""
    if not form.is_bound or form.instance.pk is None:
        return
    changed = set(form.changed_data)
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField) and name in data and name not in changed and name in form.initial:
            data[name] = form.initial[name]


def holds_forbidden(value) -> bool:
    if isinstance(value, str):
        return characters.has_forbidden(value)
    if isinstance(value, (list, tuple)):
        return any(holds_forbidden(item) for item in value)
    if isinstance(value, dict):
        return any(holds_forbidden(key) or holds_forbidden(item) for key, item in value.items())
    return False


_SHOWN_CHARACTERS = 300


def _shown(value) -> str:
    if value in (None, "", []):
        return "(empty)"
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(item) for item in value)
    text = " ".join(str(value).split())
    return repr(text if len(text) <= _SHOWN_CHARACTERS else text[:_SHOWN_CHARACTERS] + "…")


def field_change(form, name: str) -> str:
    """'Title: 'old' → 'new'.'; a long text shows the lines that went and came."""
    field = form.fields[name]
    label = str(field.label or name).capitalize()
    before, after = form.initial.get(name), form.cleaned_data.get(name)
    if isinstance(before, models.Model):
        before = str(before)
    if isinstance(before, str) and isinstance(after, str) and "\n" in before + after:
        old_lines, new_lines = before.splitlines(), after.splitlines()
        removed = [line for line in old_lines if line not in new_lines]
        added = [line for line in new_lines if line not in old_lines]
        lines = [f"− {_shown(line)}" for line in removed] + [f"+ {_shown(line)}" for line in added]
        return f"{label} changed: {'; '.join(lines) or 'spacing only'}."
    return f"{label}: {_shown(before)} → {_shown(after)}."


def child_label(item: models.Model) -> str:
    return f"{item._meta.verbose_name} “{str(item)[:80]}”"


class CleanTextForm(forms.ModelForm):
    """Refuses, field by field, text holding a character XML 1.0 forbids.

    Such a character means nothing in a record, and a title holding one would
    reach the Atom feed; importers drop them, staff are told.

    Text comes back from a browser's textarea with ``\r\n`` line ends: read as
    ``\n``, so a text nobody touched is unchanged, and is saved as it was.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                read_newlines(field)

    def clean(self):
        data = super().clean()
        for name in [name for name, value in data.items() if holds_forbidden(value)]:
            self.add_error(name, characters.MESSAGE)
        keep_unchanged(self, data)
        return data


class LabelledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs carry their column's name.

    The table's column headings are not ``<label>``s, so a screen reader would
    announce each input without a name (WCAG 1.3.1, 4.1.2).
    """

    form = CleanTextForm

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                for field in form.fields.values():
                    field.widget.attrs.setdefault("aria-label", str(field.label))

        return LabelledFormSet
