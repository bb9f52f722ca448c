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


@register.filter
def tel_uri(phone: str, extension: str = "") -> str:
    """``tel:`` URI of a phone number as the registry writes it: ``(816) 302-6797`` → ``tel:8163026797``."""
    import re

    digits = re.sub(r"[^\d+]", "", phone or "")
    extension = re.sub(r"\D", "", extension or "")
    return f"tel:{digits}" + (f";ext={extension}" if extension else "")
