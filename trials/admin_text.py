"""Text as the admin's forms read it: one kind of line end, whatever the browser sends.

Browsers submit a textarea's line ends as ``\\r\\n`` (the HTML form encoding);
the registry's texts and ours end lines with ``\\n``. Read as they come, every
save would rewrite every long text and the history would report changes
nobody made.
"""

from __future__ import annotations

from django import forms


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
