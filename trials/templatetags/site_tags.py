"""A trial's sites as HTML (``trials.sites``): the groups of the summary, the lines of the print page.

Tags rather than templates: a big trial's page has a hundred groups and dozens of sites,
and the template engine's cost per variable would be most of the page's rendering. Every
value is the registry's text, escaped here (``html.escape``) as it is written.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from ..places import in_text
from .trial_tags import contact_card

register = template.Library()


@register.filter
def site_counts(group) -> str:
    """A site group's counts, "97 sites, 12 recruiting"."""
    text = f"{group.count:,} site{'' if group.count == 1 else 's'}"
    return f"{text}, {group.recruiting:,} recruiting" if group.recruiting else text


def _cities(cities) -> str:
    """A region's cities and their sites, each with its contacts (``sites.City``)."""
    parts = ['<ul class="site-cities">']
    for city in cities:
        parts.append(f'<li><p class="city-name">{escape(city.name or "City not given")}')
        if len(city.sites) > 1:
            parts.append(f' <span class="muted">({len(city.sites)} sites)</span>')
        parts.append('</p><ul class="site-list">')
        for entry in city.sites:
            site = entry.site
            parts.append(f'<li class="site"><strong>{escape(site.facility or "Site")}</strong>')
            if site.zip:
                parts.append(f' <span class="muted">{escape(site.zip)}</span>')
            parts.append(f" · {escape(site.status_label or 'Status not given')}")
            if entry.contacts:
                cards = "".join(f"<li>{contact_card(contact)}</li>" for contact in entry.contacts)
                parts.append(f'<ul class="contacts">{cards}</ul>')
            parts.append("</li>")
        parts.append("</ul></li>")
    parts.append("</ul>")
    return "".join(parts)


def _link(query: str, text: str, counts: str = "") -> str:
    after = f" — {counts}" if counts else ""
    return f'<p class="site-link"><a href="?{escape(query)}#locations-heading">{text}</a>{after}</p>'


@register.simple_tag
def site_groups(groups) -> SafeString:
    """The groups (``sites.SiteGroups``): countries, then regions, in ``<details>``, open as ``grouped_sites`` chose.

    A country past the first screen holds only the link to its sites; a region not listed, a link to its own.
    """
    parts = []
    for country in groups.countries:
        name = escape(country.name or "Country not given")
        where = in_text(country.name) if country.name else "no given country"
        parts.append(
            f'<details class="site-country"{" open" if country.open else ""}>'
            f'<summary><span class="group-name">{name}</span> — {site_counts(country)}</summary>'
        )
        if not country.shown:
            every = "the site" if country.count == 1 else f"all {country.count:,} sites"
            # Its summary already counts them.
            parts.append(_link(country.query, f"List {every} in {escape(where)}"))
        for region in country.regions:
            if not region.shown:
                text = escape(region.name) if region.name else f"The sites in {escape(where)}"
                parts.append(_link(region.query, text, site_counts(region)))
            elif region.name:
                parts.append(
                    f'<details class="site-region"{" open" if region.open else ""}>'
                    f'<summary><span class="group-name">{escape(region.name)}</span> — {site_counts(region)}</summary>'
                    f"{_cities(region.cities)}</details>"
                )
            else:
                parts.append(_cities(region.cities))
        parts.append("</details>")
    return mark_safe("\n".join(parts))  # every value is escaped above


@register.simple_tag
def site_lines(groups) -> SafeString:
    """On paper: every site on one line, under its country and region."""
    parts = []
    for country in groups.countries:
        parts.append(
            f'<h3 class="site-print-country">{escape(country.name or "Country not given")} '
            f'<span class="count">({site_counts(country)})</span></h3>'
        )
        for region in country.regions:
            if region.name:
                parts.append(
                    f'<h4 class="site-print-region">{escape(region.name)} '
                    f'<span class="count">({site_counts(region)})</span></h4>'
                )
            parts.append('<ul class="site-lines">')
            for city in region.cities:
                where = escape(city.name or "city not given")
                for entry in city.sites:
                    site = entry.site
                    line = [f"<li><strong>{escape(site.facility or 'Site')}</strong>, {where}"]
                    if site.zip:
                        line.append(f" {escape(site.zip)}")
                    line.append(f" · {escape(site.status_label or 'Status not given')}")
                    line.extend(f" · {contact_card(contact, compact=True)}" for contact in entry.contacts)
                    parts.append("".join(line) + "</li>")
            parts.append("</ul>")
    return mark_safe("\n".join(parts))  # every value is escaped above
