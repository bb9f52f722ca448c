"""What changed between two versions of a study, field by field, in plain words.

Pure: two API v2 study documents in, a list of changes out, each
``{"kind": ..., "text": ...}``. The kinds say what a change is about, so a
feed can follow some of them (``FOLLOWED_KINDS``). The dates a registry
moves on every update (last update submitted and posted, the version held)
are not changes worth showing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import choices

STATUS = "status"
ENROLLMENT = "enrollment"
RESULTS = "results"
DATES = "dates"
SITES = "sites"
OUTCOMES = "outcomes"
ELIGIBILITY = "eligibility"
RECORD = "record"
KINDS = (STATUS, ENROLLMENT, RESULTS, DATES, SITES, OUTCOMES, ELIGIBILITY, RECORD)
# What a search's feed reports of the trials it follows.
FOLLOWED_KINDS = frozenset({STATUS, ENROLLMENT, RESULTS})
# Sites listed one by one; past this, the rest are counted.
SITES_LISTED = 10

# Each module's elements compared one by one below; the rest of a module is compared as a whole.
_COMPARED = {
    "identificationModule": {"briefTitle", "officialTitle"},
    "statusModule": {
        "overallStatus",
        "whyStopped",
        "statusVerifiedDate",
        "startDateStruct",
        "primaryCompletionDateStruct",
        "completionDateStruct",
        # Moved by every update: never a change of their own.
        "lastUpdateSubmitDate",
        "lastUpdatePostDateStruct",
    },
    "designModule": {"enrollmentInfo", "phases"},
    "conditionsModule": {"conditions"},
    "armsInterventionsModule": {"interventions"},
    "outcomesModule": {"primaryOutcomes", "secondaryOutcomes", "otherOutcomes"},
    "eligibilityModule": {"eligibilityCriteria", "minimumAge", "maximumAge", "sex", "healthyVolunteers"},
    "contactsLocationsModule": {"locations"},
}
# The rest of each module, as a whole, in the registry's order.
_MODULES = {
    "identificationModule": "Identification",
    "statusModule": "Status details",
    "sponsorCollaboratorsModule": "Sponsor and collaborators",
    "oversightModule": "Oversight",
    "descriptionModule": "Description",
    "conditionsModule": "Keywords",
    "designModule": "Design",
    "armsInterventionsModule": "Study arms",
    "outcomesModule": "Outcome measures",
    "eligibilityModule": "Eligibility details",
    "contactsLocationsModule": "Contacts and investigators",
    "referencesModule": "References and links",
    "ipdSharingStatementModule": "Sharing of individual participant data",
    "largeDocumentModule": "Study documents",
}
_DATES = (
    ("startDateStruct", "Start date"),
    ("primaryCompletionDateStruct", "Primary completion date"),
    ("completionDateStruct", "Completion date"),
)
_OUTCOMES = (
    ("primaryOutcomes", "Primary outcome"),
    ("secondaryOutcomes", "Secondary outcome"),
    ("otherOutcomes", "Other outcome"),
)
_SITE_STATUS = dict(choices.RecruitmentStatus.choices)
_STATUS = dict(choices.OverallStatus.choices)
_PHASE = dict(choices.Phase.choices)
_SEX = dict(choices.Sex.choices)
_INTERVENTION_TYPE = dict(choices.InterventionType.choices)


def _module(study: dict, name: str) -> dict:
    return (study.get("protocolSection") or {}).get(name) or {}


def _change(kind: str, text: str) -> dict:
    return {"kind": kind, "text": text}


def _arrow(label: str, before: str, after: str) -> str:
    return f"{label}: {before} → {after}"


def _dated(struct: dict | None) -> str:
    if not struct or not struct.get("date"):
        return "not given"
    kind = struct.get("type")
    return f"{struct['date']} ({kind.lower()})" if kind else struct["date"]


def _enrollment(info: dict | None) -> str:
    if not info or info.get("count") is None:
        return "not given"
    kind = info.get("type")
    return f"{info['count']:,} ({kind.lower()})" if kind else f"{info['count']:,}"


def _place(site: dict) -> str:
    return ", ".join(part for part in (site.get(name) for name in ("facility", "city", "state", "country")) if part)


def _site_key(site: dict) -> tuple:
    return tuple(site.get(name) or "" for name in ("facility", "city", "state", "zip", "country"))


def _listed(kind: str, label: str, items: Iterable[str]) -> list[dict]:
    """ "Site added: …" for the first few, then how many more."""
    items = list(items)
    found = [_change(kind, f"{label}: {item}") for item in items[:SITES_LISTED]]
    if len(items) > SITES_LISTED:
        found.append(_change(kind, f"{label}: and {len(items) - SITES_LISTED:,} more"))
    return found


def _added_removed(kind: str, noun: str, before: list[str], after: list[str]) -> list[dict]:
    old, new = set(before), set(after)
    return [
        *_listed(kind, f"{noun} added", [item for item in after if item not in old]),
        *_listed(kind, f"{noun} removed", [item for item in before if item not in new]),
    ]


def _status(before: dict, after: dict) -> list[dict]:
    old, new = _module(before, "statusModule"), _module(after, "statusModule")
    found = []
    if old.get("overallStatus") != new.get("overallStatus"):
        found.append(
            _change(
                STATUS,
                _arrow(
                    "Overall status",
                    _STATUS.get(old.get("overallStatus"), old.get("overallStatus") or "not given"),
                    _STATUS.get(new.get("overallStatus"), new.get("overallStatus") or "not given"),
                ),
            )
        )
    if old.get("whyStopped") != new.get("whyStopped"):
        text = f"Why stopped: “{new['whyStopped']}”" if new.get("whyStopped") else "Why stopped: no longer given"
        found.append(_change(STATUS, text))
    for name, label in _DATES:
        if old.get(name) != new.get(name):
            found.append(_change(DATES, _arrow(label, _dated(old.get(name)), _dated(new.get(name)))))
    if old.get("statusVerifiedDate") != new.get("statusVerifiedDate"):
        found.append(
            _change(
                DATES,
                _arrow(
                    "Status last verified",
                    old.get("statusVerifiedDate") or "not given",
                    new.get("statusVerifiedDate") or "not given",
                ),
            )
        )
    return found


def _design(before: dict, after: dict) -> list[dict]:
    old, new = _module(before, "designModule"), _module(after, "designModule")
    found = []
    if old.get("enrollmentInfo") != new.get("enrollmentInfo"):
        found.append(
            _change(
                ENROLLMENT,
                _arrow("Enrollment", _enrollment(old.get("enrollmentInfo")), _enrollment(new.get("enrollmentInfo"))),
            )
        )
    if old.get("phases") != new.get("phases"):

        def phases(codes):
            return ", ".join(_PHASE.get(code, code) for code in codes or ()) or "not given"

        found.append(_change(RECORD, _arrow("Phase", phases(old.get("phases")), phases(new.get("phases")))))
    return found


def _titles(before: dict, after: dict) -> list[dict]:
    old, new = _module(before, "identificationModule"), _module(after, "identificationModule")
    found = []
    if old.get("briefTitle") != new.get("briefTitle"):
        found.append(_change(RECORD, f"Title: “{new.get('briefTitle', '')}” (was “{old.get('briefTitle', '')}”)"))
    if old.get("officialTitle") != new.get("officialTitle"):
        found.append(_change(RECORD, "Official title changed"))
    return found


def _conditions_and_interventions(before: dict, after: dict) -> list[dict]:
    def interventions(study: dict) -> list[str]:
        return [
            f"{_INTERVENTION_TYPE.get(item.get('type'), item.get('type'))}: {item.get('name', '')}"
            if item.get("type")
            else item.get("name", "")
            for item in _module(study, "armsInterventionsModule").get("interventions") or ()
        ]

    found = _added_removed(
        RECORD,
        "Condition",
        _module(before, "conditionsModule").get("conditions") or [],
        _module(after, "conditionsModule").get("conditions") or [],
    )
    old, new = interventions(before), interventions(after)
    found += _added_removed(RECORD, "Intervention", old, new)
    old_items = _module(before, "armsInterventionsModule").get("interventions")
    new_items = _module(after, "armsInterventionsModule").get("interventions")
    if old == new and old_items != new_items:
        found.append(_change(RECORD, "Interventions’ descriptions changed"))
    return found


def _outcomes(before: dict, after: dict) -> list[dict]:
    old, new = _module(before, "outcomesModule"), _module(after, "outcomesModule")
    found = []
    for name, label in _OUTCOMES:
        was, now = old.get(name) or [], new.get(name) or []
        if was == now:
            continue
        plural = "s" if len(now) > 1 or (not now and len(was) > 1) else ""
        if not was:
            found.append(_change(OUTCOMES, f"{label}{plural} added"))
        elif not now:
            found.append(_change(OUTCOMES, f"{label}{plural} removed"))
        else:
            found.append(_change(OUTCOMES, f"{label}{plural} changed"))
    return found


def _eligibility(before: dict, after: dict) -> list[dict]:
    old, new = _module(before, "eligibilityModule"), _module(after, "eligibilityModule")
    found = []
    if old.get("eligibilityCriteria") != new.get("eligibilityCriteria"):
        found.append(_change(ELIGIBILITY, "Eligibility criteria changed"))
    for name, label in (("minimumAge", "Minimum age"), ("maximumAge", "Maximum age")):
        if old.get(name) != new.get(name):
            found.append(_change(ELIGIBILITY, _arrow(label, old.get(name) or "none", new.get(name) or "none")))
    if old.get("sex") != new.get("sex"):
        found.append(
            _change(
                ELIGIBILITY,
                _arrow("Sex", _SEX.get(old.get("sex"), "not given"), _SEX.get(new.get("sex"), "not given")),
            )
        )
    if old.get("healthyVolunteers") != new.get("healthyVolunteers"):

        def accepts(value) -> str:
            return {True: "accepted", False: "not accepted"}.get(value, "not given")

        found.append(
            _change(
                ELIGIBILITY,
                _arrow(
                    "Healthy volunteers", accepts(old.get("healthyVolunteers")), accepts(new.get("healthyVolunteers"))
                ),
            )
        )
    return found


def _sites(before: dict, after: dict) -> list[dict]:
    old = {_site_key(site): site for site in _module(before, "contactsLocationsModule").get("locations") or ()}
    new = {_site_key(site): site for site in _module(after, "contactsLocationsModule").get("locations") or ()}
    found = [
        *_listed(SITES, "Site added", [_place(site) for key, site in new.items() if key not in old]),
        *_listed(SITES, "Site removed", [_place(site) for key, site in old.items() if key not in new]),
    ]

    def status(site: dict) -> str:
        return _SITE_STATUS.get(site.get("status"), site.get("status") or "not given")

    found += _listed(
        SITES,
        "Site status changed",
        [
            f"{_place(site)}: {status(old[key])} → {status(site)}"
            for key, site in new.items()
            if key in old and old[key].get("status") != site.get("status")
        ],
    )
    changed_otherwise = any(
        key in old and {**old[key], "status": None} != {**site, "status": None} for key, site in new.items()
    )
    if changed_otherwise:
        found.append(_change(SITES, "Site contacts or details changed"))
    return found


def _results(before: dict, after: dict) -> list[dict]:
    old, new = before.get("resultsSection"), after.get("resultsSection")
    if old == new:
        return []
    if not old:
        return [_change(RESULTS, "Results posted")]
    if not new:
        return [_change(RESULTS, "Results removed")]
    return [_change(RESULTS, "Results updated")]


def _rest(before: dict, after: dict) -> list[dict]:
    """Each module's other elements, compared as a whole: "Description changed"."""
    found = []
    for name, label in _MODULES.items():
        skip = _COMPARED.get(name, set())
        old = {key: value for key, value in _module(before, name).items() if key not in skip}
        new = {key: value for key, value in _module(after, name).items() if key not in skip}
        if old != new:
            found.append(_change(RECORD, f"{label} changed"))
    if before.get("documentSection") != after.get("documentSection"):
        found.append(_change(RECORD, "Study documents changed"))
    return found


def changes(before: dict, after: dict) -> list[dict]:
    """What ``after`` changed from ``before`` (two API v2 studies), most telling first."""
    return [
        *_status(before, after),
        *_design(before, after),
        *_results(before, after),
        *_titles(before, after),
        *_outcomes(before, after),
        *_sites(before, after),
        *_eligibility(before, after),
        *_conditions_and_interventions(before, after),
        *_rest(before, after),
    ]


def same_record(before: dict, after: dict) -> bool:
    """Whether two studies say the same, apart from the date of the version held."""
    return _without_version_date(before) == _without_version_date(after)


def _without_version_date(study: dict) -> dict[str, Any]:
    derived = study.get("derivedSection") or {}
    misc = {key: value for key, value in (derived.get("miscInfoModule") or {}).items() if key != "versionHolder"}
    return {**study, "derivedSection": {**derived, "miscInfoModule": misc}}


def key_facts(study: dict) -> list[tuple[str, str]]:
    """The facts a comparison of two versions sets side by side."""
    status, design = _module(study, "statusModule"), _module(study, "designModule")
    sites = _module(study, "contactsLocationsModule").get("locations") or []
    outcomes = _module(study, "outcomesModule")
    return [
        ("Overall status", _STATUS.get(status.get("overallStatus"), status.get("overallStatus") or "not given")),
        ("Why stopped", status.get("whyStopped") or "—"),
        ("Enrollment", _enrollment(design.get("enrollmentInfo"))),
        *((label, _dated(status.get(name))) for name, label in _DATES),
        ("Status last verified", status.get("statusVerifiedDate") or "not given"),
        ("Last update posted", _dated(status.get("lastUpdatePostDateStruct"))),
        ("Sites", f"{len(sites):,}"),
        ("Primary outcomes", f"{len(outcomes.get('primaryOutcomes') or []):,}"),
        ("Secondary outcomes", f"{len(outcomes.get('secondaryOutcomes') or []):,}"),
        ("Results", "Posted" if study.get("resultsSection") else "None posted"),
    ]
