"""The trial list's filters: one FilterSet, its URL parameters and their validation.

Every filter is a URL parameter, so a result list can be bookmarked and
shared; multi-valued filters repeat the parameter and take ClinicalTrials.gov's
codes (``status=RECRUITING&status=NOT_YET_RECRUITING``).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from . import choices, facets, places, search, status
from .models import Condition, Intervention, Site, Sponsor, Trial, TrialCondition, has_phase

YES_NO = (("yes", "Yes"), ("no", "No"))
# What a yes/no parameter means by "no"; anything else set (the checkbox sends ``1``) means yes.
NO_WORDS = frozenset({"", "0", "false", "no", "off"})


class FlagInput(forms.CheckboxInput):
    """A checkbox read as a URL flag: ``exact=0``, ``false``, ``no`` and ``off`` are off, as they read."""

    def value_from_datadict(self, data, files, name) -> bool:
        if name not in data:
            return False
        value = data.get(name)
        return str(value).strip().lower() not in NO_WORDS


VERIFIED_CHOICES = (("12m", "In the last 12 months"),)
SORTS = (
    ("relevance", "Relevance"),
    ("updated", "Last update"),
    ("start", "Start date"),
    ("enrollment", "Enrollment"),
    ("distance", "Distance"),
)
SEX_CHOICES = ((choices.Sex.FEMALE, "Female"), (choices.Sex.MALE, "Male"))

# How ClinicalTrials.gov groups statuses for people looking for a trial.
STATUS_GROUPS = (
    (
        "Looking for participants",
        (
            choices.OverallStatus.NOT_YET_RECRUITING,
            choices.OverallStatus.RECRUITING,
            choices.OverallStatus.ENROLLING_BY_INVITATION,
        ),
    ),
    (
        "No longer looking",
        (
            choices.OverallStatus.ACTIVE_NOT_RECRUITING,
            choices.OverallStatus.COMPLETED,
            choices.OverallStatus.SUSPENDED,
            choices.OverallStatus.TERMINATED,
            choices.OverallStatus.WITHDRAWN,
        ),
    ),
    ("Status unknown", (choices.OverallStatus.UNKNOWN,)),
    (
        "Expanded access",
        (
            choices.OverallStatus.AVAILABLE,
            choices.OverallStatus.NO_LONGER_AVAILABLE,
            choices.OverallStatus.TEMPORARILY_NOT_AVAILABLE,
            choices.OverallStatus.APPROVED_FOR_MARKETING,
            choices.OverallStatus.WITHHELD,
        ),
    ),
)


class TrialFilterForm(forms.Form):
    # Set by ``_clean_place``: where ``near`` is, and the circle ``within`` draws around it.
    place: places.Place | None = None
    circle: places.Circle | None = None
    # The places an unknown or ambiguous ``near`` might mean, for the page to offer.
    place_choices: list[places.Place] = []
    # Shared with the filterset (``TrialFilter.resolved``): a place is located once per request.
    resolved: dict | None = None

    # A place the search text ends with, searched as ``near`` ("heart attack near Boston").
    text_place: search.TrailingPlace | None = None
    # A distance given without a place: left out, and the page says so (links and feeds made
    # before a place was removed still answer).
    stray_within: str = ""

    def _located(self, near: str) -> places.Place | places.PlaceError:
        """Where ``near`` is, or why it cannot be said: located once a request (``resolved``)."""
        resolved = self.resolved if self.resolved is not None else {}
        found = resolved.get(("near", near))
        if found is None:
            try:
                found = places.locate(near)
            except places.PlaceError as error:
                found = error
            resolved["near", near] = found
        return found

    def _clean_text_place(self, data: dict) -> None:
        """Read the place the text ends with as ``near`` when the gazetteer knows it, and only one.

        Not when ``near`` is given, nor for a phrase naming a medical subject;
        an unknown or ambiguous place stays words of the search.
        """
        text = data.get("q") or ""
        if (data.get("near") or "").strip() or not text.strip():
            return
        split = search.trailing_place(text)
        if split is None or search.vocabulary.lookup(split.place) is not None:
            return
        if isinstance(self._located(split.place), places.PlaceError):
            return
        data["q"], data["near"] = split.words, split.place
        self.text_place = split

    def _clean_place(self, data: dict) -> None:
        near, within = data.get("near", ""), data.get("within", "")
        try:
            km, _ = places.parse_within(within)
        except places.DistanceError as error:
            self.add_error("within", str(error))
            return
        if not near or not near.strip():
            self.stray_within = within.strip()
            return
        found = self._located(near)
        if isinstance(found, places.PlaceError):
            self.place_choices = found.choices
            self.add_error("near", found.message)
            return
        self.place = found
        # One circle for the request's filtersets: it keeps the points it measured (``places.points``).
        resolved = self.resolved if self.resolved is not None else {}
        self.circle = resolved.setdefault(("circle", near, km), places.Circle(found.lat, found.lon, km))

    def clean_q(self) -> str:
        text = self.cleaned_data.get("q", "")
        try:
            search.check_size(text)
        except search.QuerySyntaxError as error:
            raise forms.ValidationError(f"The search asks for too much: {error}.") from None
        return text

    def clean(self):
        data = super().clean()
        if "q" in data and "near" in data:
            self._clean_text_place(data)
        self._clean_place(data)
        for start, end, label in (
            ("start_from", "start_to", "start date"),
            ("completion_from", "completion_to", "completion date"),
        ):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, f"The {label} range is reversed: “to” is before “from”.")
        return data


def _exists(model, **lookups) -> Exists:
    return Exists(model.objects.filter(trial=OuterRef("pk"), **lookups))


def _named_intervention_q(name: str) -> Q:
    """Trials naming ``name`` as an intervention's name or other name, as a word (``search.word_q``).

    One EXISTS over both columns, as the API's areas match them (``search.areas.Part``).
    """
    named = Intervention.objects.filter(search.word_q("name", name) | search.word_q("other_names", name))
    return Q(Exists(named.filter(trial=OuterRef("pk")))) | search.word_q("other_intervention_names", name)


class TrialFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Search", max_length=500)
    # Read by filter_text: the text as typed, without synonyms or corrections.
    exact = django_filters.BooleanFilter(method="keep", label="Exact words only", widget=FlagInput)
    status = django_filters.MultipleChoiceFilter(
        method="filter_status", choices=choices.OverallStatus.choices, label="Status", distinct=False
    )
    phase = django_filters.MultipleChoiceFilter(
        method="filter_phase", choices=choices.Phase.choices, label="Phase", distinct=False
    )
    study_type = django_filters.MultipleChoiceFilter(
        method="filter_study_type", choices=choices.StudyType.choices, label="Study type", distinct=False
    )
    allocation = django_filters.MultipleChoiceFilter(
        method="filter_allocation", choices=choices.Allocation.choices, label="Allocation", distinct=False
    )
    condition = django_filters.CharFilter(method="filter_condition", label="Condition", max_length=200)
    intervention = django_filters.CharFilter(method="filter_intervention", label="Intervention", max_length=200)
    sponsor = django_filters.CharFilter(method="filter_sponsor", label="Sponsor", max_length=200)
    sponsor_class = django_filters.MultipleChoiceFilter(
        method="filter_sponsor_class", choices=choices.AgencyClass.choices, label="Lead sponsor class", distinct=False
    )
    near = django_filters.CharFilter(method="filter_near", label="Near", max_length=100)
    # Read by filter_near through the form (``TrialFilterForm.circle``).
    within = django_filters.CharFilter(method="keep", label="Within", max_length=20)
    country = django_filters.CharFilter(method="filter_location", label="Country", max_length=100)
    city = django_filters.CharFilter(method="filter_location", label="City", max_length=100)
    age = django_filters.NumberFilter(
        method="filter_age", label="Participant's age (years)", min_value=0, max_value=130
    )
    sex = django_filters.ChoiceFilter(method="filter_sex", choices=SEX_CHOICES, label="Participant's sex")
    healthy_volunteers = django_filters.ChoiceFilter(
        method="filter_healthy_volunteers", choices=YES_NO, label="Accepts healthy volunteers"
    )
    has_results = django_filters.ChoiceFilter(method="filter_has_results", choices=YES_NO, label="Has results")
    verified = django_filters.ChoiceFilter(
        method="filter_verified", choices=VERIFIED_CHOICES, label="Status verified", empty_label="Any time"
    )
    start_from = django_filters.DateFilter(field_name="start_date", lookup_expr="gte", label="Start from")
    start_to = django_filters.DateFilter(field_name="start_date", lookup_expr="lte", label="Start to")
    completion_from = django_filters.DateFilter(
        field_name="completion_date", lookup_expr="gte", label="Completion from"
    )
    completion_to = django_filters.DateFilter(field_name="completion_date", lookup_expr="lte", label="Completion to")
    updated_since = django_filters.DateFilter(
        field_name="last_update_posted_date", lookup_expr="gte", label="Updated since"
    )
    sort = django_filters.ChoiceFilter(method="sort_by", choices=SORTS, label="Sort by", empty_label=None)

    class Meta:
        form = TrialFilterForm
        fields: list[str] = []

    def __init__(self, data=None, *args, skip: str | None = None, resolved: dict | None = None, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            # A select's "Any" sends an empty value: no filter, as if the parameter were absent.
            data = data.copy()
            for name, declared in self.base_filters.items():
                if isinstance(declared, django_filters.MultipleChoiceFilter) and name in data:
                    data.setlist(name, [value for value in data.getlist(name) if value])
        super().__init__(data, *args, **kwargs)
        self.skip = skip
        # What filters looked up (conditions named like a word), shared with the facets' filtersets.
        self.resolved = {} if resolved is None else resolved
        self.condition_matches: list[str] | None = None
        # What the text was read as (search.Reading): the words it added, for the page to show.
        self.reading: search.Reading | None = None
        # PostgreSQL matches filters on the trial's facet tokens (fields.TokenListField): always
        # those that would join its sites, conditions, interventions or sponsors; its own columns
        # too when there is a text, so that text and filters meet in one GIN scan. Without a
        # text, a page read in the order of a sort index checks a column more cheaply.
        self.tokens = search.backend().has_facet_tokens
        self.column_tokens = self.tokens and bool(str((self.data or {}).get("q", "")).strip())

    @property
    def form(self):
        form = super().form
        form.resolved = self.resolved
        return form

    @property
    def circle(self) -> places.Circle | None:
        return self.form.circle if self.skip != "near" else None

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        for name, value in self.form.cleaned_data.items():
            if name == self.skip or name == "sort":
                continue
            queryset = self.filters[name].filter(queryset, value)
        sort = self.form.cleaned_data.get("sort")
        if self.circle and sort in (None, "", "distance"):
            # Unordered, for counting; ``qs`` is the same trials in the order asked for, where
            # ordering by distance is itself the filter (``places.order_by_distance``).
            self.matches = places.near_trials(queryset, self.circle).order_by()
            return places.order_by_distance(queryset, self.circle)
        if self.circle:
            queryset = places.near_trials(queryset, self.circle)
        self.matches = queryset.order_by()
        return self.sort_by(queryset, "sort", sort)

    @property
    def ranked_by_relevance(self) -> bool:
        sort = self.form.cleaned_data.get("sort")
        if sort in (None, "") and self.circle:
            return False  # a place sorts by distance unless asked otherwise
        return sort in (None, "", "relevance") and bool(self.form.cleaned_data.get("q", "").strip())

    def first_ids(self, wanted: int) -> list[int]:
        """The ids of the first ``wanted`` matches in the list's order (a valid filterset): downloads and feeds.

        Relevance ranks the first ``search.RANK_CANDIDATES`` matches; the others
        follow them, most recently updated first, so every match has its place.
        """
        ids = list(self.qs.values_list("pk", flat=True)[:wanted])
        if self.ranked_by_relevance and len(ids) < wanted:
            others = self.matches.exclude(pk__in=ids).order_by(*Trial._meta.ordering)
            ids += others.values_list("pk", flat=True)[: wanted - len(ids)]
        return ids

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value.strip():
            return queryset
        exact = bool(self.form.cleaned_data.get("exact"))
        # Read once a request: the facets' filtersets read the same text (``resolved`` is shared).
        if ("q", value, exact) not in self.resolved:
            self.resolved["q", value, exact] = search.read(value, search.backend(), exact=exact)
        self.reading = self.resolved["q", value, exact]
        return queryset.filter(self.reading.q)

    def keep(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset

    def _codes_q(self, prefix: str, field_name: str, value: list[str]) -> Q:
        """``field_name`` is one of ``value``: on the tokens ``prefix:CODE`` where there are some."""
        if self.column_tokens:
            return Q(facet_tokens__any=facets.tokens(prefix, value))
        return Q(**{f"{field_name}__in": value})

    def _codes(self, queryset: QuerySet, prefix: str, field_name: str, value: list[str]) -> QuerySet:
        return queryset.filter(self._codes_q(prefix, field_name, value)) if value else queryset

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        """Trials shown with one of ``value`` (``status.shown_status``): a lapsed open status is UNKNOWN.

        The reported status is matched as before (on the tokens where there
        are some), and the rule is an extra condition on the date columns.
        """
        if not value:
            return queryset
        dates = status.lapse_dates()
        wanted = self._codes_q(facets.STATUS, "overall_status", value)
        lapsing = [code for code in status.LAPSING_STATUSES if code in value]
        if lapsing:
            wanted &= ~(self._codes_q(facets.STATUS, "overall_status", lapsing) & dates)
        if status.UNKNOWN in value:
            # Lapsed ones still report an open status: matched on those codes, then the dates.
            wanted |= self._codes_q(facets.STATUS, "overall_status", list(status.LAPSING_STATUSES)) & dates
        return queryset.filter(wanted)

    def filter_study_type(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return self._codes(queryset, facets.STUDY_TYPE, "study_type", value)

    def filter_allocation(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        return self._codes(queryset, facets.ALLOCATION, "allocation", value)

    def filter_phase(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        if self.column_tokens:
            return queryset.filter(facet_tokens__any=facets.tokens(facets.PHASE, value))
        wanted = Q()
        for phase in value:
            wanted |= has_phase(phase)
        return queryset.filter(wanted)

    def filter_condition(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        if ("condition", value) not in self.resolved:
            self.resolved["condition", value] = self._conditions_named(value)
        matching, self.condition_matches, ids = self.resolved["condition", value]
        if ids is not None:
            return queryset.filter(facet_tokens__any=facets.tokens(facets.CONDITION, ids)) if ids else queryset.none()
        return queryset.filter(Exists(TrialCondition.objects.filter(trial=OuterRef("pk"), condition__in=matching)))

    def _conditions_named(self, value: str) -> tuple[QuerySet, list[str] | None, list[int] | None]:
        """(conditions named like ``value``, the close names when none is, their ids for the tokens)."""
        matching = Condition.objects.filter(name__icontains=value)
        close = None
        if not matching.exists():
            # A misspelling ("bipolr"): the closest condition names on file.
            close = search.backend().close_conditions(value)
            matching = Condition.objects.filter(name__in=close)
        if self.tokens:
            ids = list(matching.values_list("id", flat=True)[: search.MAX_TOKENS + 1])
            if len(ids) <= search.MAX_TOKENS:
                return matching, close, ids
        return matching, close, None

    def filter_intervention(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        intervention_type = next(
            (
                code
                for code, label in choices.InterventionType.choices
                if value.casefold() in (code.casefold(), label.casefold())
            ),
            None,
        )
        if intervention_type and self.tokens:
            return queryset.filter(facet_tokens__any=[facets.token(facets.INTERVENTION_TYPE, intervention_type)])
        if intervention_type:
            return queryset.filter(_exists(Intervention, type=intervention_type))
        if ("intervention", value) not in self.resolved:
            self.resolved["intervention", value] = self._intervention_names(value)
        wanted = Q()
        for name in self.resolved["intervention", value]:
            wanted |= _named_intervention_q(name)
        return queryset.filter(wanted)

    def _intervention_names(self, value: str) -> list[str]:
        """``value`` and, unless in exact words, the other names the records give it (brand ↔ generic).

        As the search box reads an intervention's name (``search.read``).
        """
        if self.form.cleaned_data.get("exact"):
            return [value]
        value_key = search.vocabulary.key(value)
        return [value, *(alias.phrase for alias in search.aliases.lookup({value_key}).get(value_key, []))]

    def filter_sponsor(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(_exists(Sponsor, name__icontains=value.strip())) if value.strip() else queryset

    def filter_sponsor_class(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if value and self.tokens:
            return queryset.filter(facet_tokens__any=facets.tokens(facets.LEAD_SPONSOR_CLASS, value))
        return queryset.filter(_exists(Sponsor, is_lead=True, agency_class__in=value)) if value else queryset

    def filter_location(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Country and city describe the same site: applied together, once.
        if name == "city" and self.form.cleaned_data.get("country") and self.skip != "country":
            return queryset
        country = self.form.cleaned_data.get("country", "").strip()
        city = self.form.cleaned_data.get("city", "").strip()
        if not (country or city):
            return queryset
        # Every spelling of the country meant: "USA", "America" → "United States"; "Czechia", "Czech Republic".
        countries = places.spellings(country) if country else [""]
        if self.tokens:
            return queryset.filter(facet_tokens__any=[facets.place(name, city) for name in countries])
        wanted = Q()
        for name in countries:
            wanted |= Q(country__iexact=name) if name else Q()
        sites = Site.objects.filter(wanted, trial=OuterRef("pk"))
        return queryset.filter(Exists(sites.filter(city__iexact=city) if city else sites))

    def filter_near(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Applied last, by ``filter_queryset``: as a join that orders by distance, or a plain filter.
        return queryset

    def filter_age(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        years = float(value)
        return queryset.filter(
            Q(minimum_age_years__isnull=True) | Q(minimum_age_years__lte=years),
            Q(maximum_age_years__isnull=True) | Q(maximum_age_years__gte=years),
        )

    def filter_sex(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value and self.column_tokens:
            return queryset.filter(facet_tokens__any=[facets.token(facets.SEX, value)])  # for that sex or all
        return queryset.filter(sex__in=[value, choices.Sex.ALL, ""]) if value else queryset

    def filter_healthy_volunteers(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value and self.column_tokens:
            return queryset.filter(facet_tokens__any=[facets.token(facets.HEALTHY_VOLUNTEERS, value)])
        return queryset.filter(healthy_volunteers=value == "yes") if value else queryset

    def filter_has_results(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value and self.column_tokens:
            return queryset.filter(facet_tokens__any=[facets.token(facets.HAS_RESULTS, value)])
        return queryset.filter(has_results=value == "yes") if value else queryset

    def filter_verified(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(status.recently_verified()) if value else queryset

    def sort_by(self, queryset: QuerySet, name: str, value: str | None) -> QuerySet:
        text = self.form.cleaned_data.get("q", "").strip()
        if value == "distance":
            value = None  # no place to measure from
        if value in (None, "", "relevance"):
            if text and self.skip != "q":
                # The list page pages through the same RANK_CANDIDATES (``listing``).
                wanted, boost = (self.reading.rank_text, self.reading.boost) if self.reading else (text, None)
                return search.backend().ranked(queryset, wanted, search.RANK_CANDIDATES, boost)
            value = "updated"
        field = {"updated": "last_update_posted_date", "start": "start_date", "enrollment": "enrollment_count"}[value]
        return queryset.order_by(F(field).desc(nulls_last=True), "nct_id")
