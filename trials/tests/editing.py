"""An admin change form as an editor submits it, for the tests that edit trials through the admin."""

from __future__ import annotations

from django.forms import CheckboxInput


def form_data(response) -> dict:
    """The POST data an unchanged submit of an admin change form sends."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms += formset.forms
    for form in forms:
        for name, field in form.fields.items():
            bound = form[name]
            value = bound.value()  # already prepared for the widget
            if isinstance(field.widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data
