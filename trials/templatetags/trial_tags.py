from __future__ import annotations

import functools
from html import escape as _escape
from types import SimpleNamespace
from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .. import choices, glossary

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


# Stands for the NCT ID in a trial URL reversed once; NCT IDs are letters and digits, never quoted.
_NCT_ID = "NCT00000000"
# A trial's pages that every tab links to (``trial_links``).
TRIAL_PAGES = {
    "detail": "trials:detail",
    "design": "trials:design",
    "eligibility": "trials:eligibility",
    "results": "trials:results",
    "related": "trials:related",
    "history": "trials:history",
    "print": "trials:print",
    "feed": "trials:trial_feed",
    "study": "api:study",
}


@functools.lru_cache(maxsize=512)
def _reversed(name: str, with_id: bool, prefix: str, urlconf: str | None, root_urlconf: str) -> str:
    return reverse(name, urlconf=urlconf, args=[_NCT_ID] if with_id else None)


def cached_reverse(name: str, nct_id: str | None = None) -> str:
    """``reverse`` of a fixed URL, or of a trial's page by its NCT ID, worked out once per process.

    Every page links to a dozen of them; reversing each on every request cost
    a tenth of a trial page's time. The cache is keyed by what ``reverse`` reads:
    the script prefix and the URLconf.
    """
    pattern = _reversed(name, nct_id is not None, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    return pattern if nct_id is None else pattern.replace(_NCT_ID, nct_id)


@register.simple_tag(name="url_of")
def url_of(name: str, nct_id: str | None = None) -> str:
    """``{% url_of "trials:list" %}``: as ``{% url %}``, for URLs that name no argument or a trial's NCT ID."""
    return cached_reverse(name, nct_id)


@register.simple_tag
def trial_links(nct_id: str) -> SimpleNamespace:
    """``{% trial_links trial.nct_id as links %}``: the URLs of a trial's pages (``links.design``...)."""
    # What ``reverse`` reads, read once for the nine URLs.
    where = (get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    return SimpleNamespace(
        **{key: _reversed(name, True, *where).replace(_NCT_ID, nct_id) for key, name in TRIAL_PAGES.items()}
    )


@register.simple_tag
def glossary_url(section: str, code: str = "") -> str:
    """``{% glossary_url "status" trial.overall_status %}``: the glossary entry for a registry term."""
    return f"{cached_reverse('trials:glossary')}#{glossary.anchor(section, code)}"


@register.filter
def place_lines(site) -> list[str]:
    """A site's address as lines: city, region and postal code; then country."""
    local = ", ".join(part for part in (site.city, site.state, site.zip) if part)
    return [line for line in (local, site.country) if line]


@register.simple_tag
def contact_card(contact, compact: bool = False) -> str:
    """A contact's name, role, phone and e-mail, linked; a tag rather than an include,
    as a 1,000-site trial renders it a thousand times. ``compact``: on one line, as the print page lists sites.

    Each value escaped as ``format_html`` escapes it (``html.escape``), without its cost per call.
    """
    between = ", " if compact else "<br>"
    parts = [f"<strong>{_escape(contact.name or 'Contact')}</strong>"]
    if contact.role:
        parts.append(f", {_escape(str(contact.get_role_display()))}")
    if contact.phone:
        link = tel_uri(contact.phone, contact.phone_ext)
        parts.append(f'{between}<a href="{_escape(link)}">{_escape(contact.phone)}</a>')
        if contact.phone_ext:
            parts.append(f" ext. {_escape(contact.phone_ext)}")
    if contact.email:
        email = _escape(contact.email)
        parts.append(f'{between}<a href="mailto:{email}">{email}</a>')
    return mark_safe("".join(parts))  # each value is escaped


@register.filter
def mesh_groups(trial) -> list[tuple[str, list[str]]]:
    """The MeSH terms the registry assigned (not their ancestors), conditions then interventions, each once.

    Reads ``trial.mesh_terms.all()``, prefetched by ``for_detail``: no query of its own.
    """
    headings = {choices.MeshDomain.CONDITION: "Conditions", choices.MeshDomain.INTERVENTION: "Interventions"}
    groups: dict[str, list[str]] = {domain: [] for domain in headings}
    for mesh in trial.mesh_terms.all():
        terms = groups.get(mesh.domain)
        if terms is not None and not mesh.is_ancestor and mesh.term not in terms:
            terms.append(mesh.term)
    return [(headings[domain], sorted(terms, key=str.casefold)) for domain, terms in groups.items() if terms]


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@register.simple_tag
def day_time(day) -> str:
    """``<time datetime="2024-03-05">March 5, 2024</time>``: a date as the ``date`` filter writes it
    in English (``Y-m-d``, ``F j, Y``), without its two format lookups per date."""
    return mark_safe(f'<time datetime="{day.isoformat()}">{_MONTHS[day.month - 1]} {day.day}, {day.year:04d}</time>')


@register.filter
def mesh_links(names: list[str]) -> str:
    """A MeSH group's terms as list items, each a link to the trials filed under it (``mesh_groups``).

    A filter rather than a loop in the template: a trial lists dozens of terms, each a URL and an escape.
    """
    search = _escape(cached_reverse("trials:list"))
    return mark_safe(
        "".join(f'<li><a href="{search}?q={quote(name, safe="")}">{_escape(name)}</a></li>' for name in names)
    )


@register.filter
def breakable(text: str) -> str:
    """A label that may wrap after each slash ("estimated/anticipated") rather than inside a word."""
    return mark_safe(escape(text).replace("/", "/<wbr>"))


@register.simple_tag(takes_context=True)
def record_part(context, name: str) -> str:
    """``{% record_part "summary_head" %}``: ``trials/parts/<name>.html``, a part of a page that depends on the
    record alone, as its page document holds it (``page_parts``, ``trials.pages``) or rendered here as an
    include renders it."""
    stored = context.get("page_parts") or {}
    if (part := stored.get(name)) is not None:
        return mark_safe(part)  # rendered by this template, escaped there
    return context.template.engine.get_template(f"trials/parts/{name}.html").render(context)
