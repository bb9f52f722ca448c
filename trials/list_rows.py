"""What a row of a list of trials shows, worked out for a page of trials at once (``includes/trial_row.html``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse

from . import choices, places, status
from .models import Intervention, Site, Sponsor, Trial, TrialCondition


@dataclass
class ListRow:
    """What a list row shows of a trial (``includes/trial_row.html``), worked out once.

    A page of 25 rows spent most of its time in the template, looking up and
    formatting the same facts through the ORM and translation machinery.
    """

    trial: Trial
    url: str
    status: str  # the code shown (``status.shown_status``), for the badge's colour
    status_label: str
    phases: str
    study_type: str
    conditions: str
    interventions: str
    ages: str
    sex: str
    sites: str
    sponsor: str
    snippet: str = ""
    # With a place to search near: the trial's nearest site there and its distance.
    nearest: str = ""


_LABELS = {
    name: {code: str(label) for code, label in enum.choices}
    for name, enum in (("type", choices.StudyType), ("sex", choices.Sex))
}
# Conditions are cut to this many characters, as truncatechars would.
CONDITIONS_SHOWN = 160
INTERVENTIONS_SHOWN = 4


def _names_by_trial(children, name: str, ids: list[int]) -> dict[int, list[str]]:
    """Trial id → the ``name`` of each of its ``children``, in the record's order."""
    names: dict[int, list[str]] = {pk: [] for pk in ids}
    for trial_id, value in children.order_by("trial_id", "position", "id").values_list("trial_id", name):
        names[trial_id].append(value)
    return names


def list_rows(
    trials: list[Trial], snippets: dict[int, str] | None = None, circle: places.Circle | None = None, near: str = ""
) -> list[ListRow]:
    """Rows for trials from ``for_list()``: four queries (five near a place) whatever their number, none for none.

    ``near``: the place's query string, carried by the links so the trial lists its sites there first.
    """
    ids = [trial.pk for trial in trials]
    if not ids:
        return []
    nearest = places.nearest_sites(circle, ids) if circle and ids else {}
    conditions = _names_by_trial(TrialCondition.objects.filter(trial_id__any_of=ids), "condition__name", ids)
    interventions = _names_by_trial(Intervention.objects.filter(trial_id__any_of=ids), "name", ids)
    sponsors = dict(
        Sponsor.objects.filter(trial_id__any_of=ids, is_lead=True).order_by("position").values_list("trial_id", "name")
    )
    # Counted for the page's trials only: counting in the list's query would group every match first.
    sites = dict(
        Site.objects.filter(trial_id__any_of=ids)
        .order_by()
        .values_list("trial")
        .annotate(count=Count("id"))
        .values_list("trial", "count")
    )
    detail = reverse("trials:detail", args=["NCT00000000"])
    today = status.today()
    rows = []
    for trial in trials:
        joined = ", ".join(conditions[trial.pk])
        if len(joined) > CONDITIONS_SHOWN:
            joined = joined[: CONDITIONS_SHOWN - 1] + "…"
        names = interventions[trial.pk]
        given = ", ".join(names[:INTERVENTIONS_SHOWN])
        if len(names) > INTERVENTIONS_SHOWN:
            given += f" and {len(names) - INTERVENTIONS_SHOWN} more"
        ages = trial.age_range or "any"
        rows.append(
            ListRow(
                trial=trial,
                # Every detail URL is the same but for the NCT ID: reversed once.
                url=detail.replace("NCT00000000", trial.nct_id) + near,
                status=status.shown_status(trial, today),
                status_label=status.status_label(trial, today),
                phases=trial.phase_display,
                study_type=_LABELS["type"].get(trial.study_type, trial.study_type),
                conditions=joined,
                interventions=given,
                ages=ages,
                sex=_LABELS["sex"].get(trial.sex) or "All",
                sites=f"{sites.get(trial.pk, 0):,}",
                sponsor=sponsors.get(trial.pk, ""),
                snippet=(snippets or {}).get(trial.pk, ""),
                nearest=nearest[trial.pk].label if trial.pk in nearest else "",
            )
        )
    return rows
