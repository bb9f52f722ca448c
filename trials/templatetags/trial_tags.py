from __future__ import annotations

from django import template

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
