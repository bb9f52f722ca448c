from __future__ import annotations

from django import template
from django.urls import reverse

from .. import glossary

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    """``{{ mapping|get_item:key }}``: a dictionary lookup with a variable key."""
    return mapping.get(key, "")


@register.filter
def plain(text: str) -> str:
    """Registry markdown shown as text: ``\\>`` becomes ``>``."""
    from ..criteria import unescape

    return unescape(text or "")


@register.simple_tag
def glossary_url(section: str, code: str = "") -> str:
    """``{% glossary_url "status" trial.overall_status %}``: the glossary entry for a registry term."""
    return f"{reverse('trials:glossary')}#{glossary.anchor(section, code)}"
