"""Trial page documents: the parts of a trial's Summary that depend on its record alone, rendered in advance.

A first render of a Summary spent half its time in the templates and most
of the rest reading and building the children it shows. The parts that
change only with the record (the key facts, the summary, conditions, MeSH
terms, description, sponsors, documents, references, identifiers) are
rendered after each write by the very templates a live page includes
(``templates/trials/parts/``, through ``{% record_part %}``) and kept in
``TrialPage``; a page reads them in its own query, with the trial, and
renders live only what depends on the day (status, "verified 3 years
ago"), on the request (site filter, ``?near=``, its URL) or on the sites.

A document counts only while it matches the trial's ``updated_at`` and the
code's release: a trial edited, imported or synced since, or a deploy, makes
its page render every part live (the same templates) until ``build`` runs
again. Building is never needed for correctness, only for speed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.template.loader import get_template
from django.urls import get_script_prefix

from .caching import release
from .models import Trial, TrialPage
from .models.queries import PAGE_RELATIONS, STRUCTURED_DATA_RELATIONS
from .templatetags.trial_tags import trial_links

# The parts a Summary takes from its document, each ``templates/trials/parts/<name>.html``.
SUMMARY_PARTS = ("key_facts", "summary_head", "summary_record", "summary_tail")
# The relations a Summary still reads when its document is there: what its JSON-LD needs.
LIVE_RELATIONS = STRUCTURED_DATA_RELATIONS
BATCH = 200


def key() -> str:
    """What a document is built for: the code's release, and the URL prefix its links were written with."""
    return f"{release()}{get_script_prefix()}"


def document() -> tuple[str, tuple[str, ...]]:
    """What ``TrialQuerySet.one_with_rows`` needs to read a Summary's document with its trial."""
    return key(), LIVE_RELATIONS


def parts(trial: Trial) -> dict[str, str]:
    """A trial's record-only parts as a Summary renders them; ``trial`` read with ``PAGE_RELATIONS``."""
    context = {"trial": trial, "tab": "detail", "links": trial_links(trial.nct_id)}
    return {name: str(get_template(f"trials/parts/{name}.html").render(context)) for name in SUMMARY_PARTS}


def build(nct_ids: Iterable[str]) -> int:
    """Build (again) the page documents of these trials, as they stand now; returns how many were written.

    A trial changed between its read and the write keeps a document of its
    earlier ``updated_at``, which no page reads.
    """
    nct_ids = list(dict.fromkeys(nct_ids))
    code = key()
    written = 0
    for start in range(0, len(nct_ids), BATCH):
        trials = Trial.objects.filter(nct_id__in=nct_ids[start : start + BATCH]).with_rows(*PAGE_RELATIONS)
        documents = [
            TrialPage(trial_id=trial.pk, release=code, trial_updated_at=trial.updated_at, parts=parts(trial))
            for trial in trials
        ]
        TrialPage.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["trial"],
            update_fields=["release", "trial_updated_at", "parts"],
        )
        written += len(documents)
    return written


def build_all() -> int:
    """Every trial's document that is missing, or stale by its record or the release."""
    return build(Trial.objects.without_page_document(key()).values_list("nct_id", flat=True).iterator())
