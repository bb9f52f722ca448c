"""The whole record: posted results, outcome measures, contacts, documents, oversight and IPD sharing."""

import html
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from trials import sites
from trials.importers import import_paths
from trials.models import AdverseEvent, Measurement, ResultMeasure, Trial

from .ctgov_files import registry_study

pytestmark = pytest.mark.django_db

WITH_RESULTS = ["NCT04402008", "NCT00904748", "NCT00301262", "NCT00106392", "NCT00179517"]


def page(client, name, nct_id, query=""):
    response = client.get(reverse(f"trials:{name}", args=[nct_id]) + query)
    assert response.status_code == 200
    return response.content.decode()


def table(text, caption_id):
    match = re.search(rf'<caption id="{caption_id}">.*?</table>', text, re.S)
    assert match, caption_id
    return match.group(0)


def cells(row_html):
    return [html.unescape(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row_html, re.S)]


def affected(number: int, at_risk: int) -> str:
    return f"{number}/{at_risk} ({100 * number / at_risk:.1f}%)" if at_risk else f"{number}/{at_risk}"


def test_every_record_with_results_keeps_its_tables(ctgov_imported, ctgov_data):
    with_results = 0
    for path in sorted(ctgov_data.glob("*.json")):
        section = json.loads(path.read_text(encoding="utf-8")).get("resultsSection")
        if not section:
            continue
        with_results += 1
        trial = Trial.objects.get(nct_id=path.stem)
        measures = section.get("baselineCharacteristicsModule", {}).get("measures", []) + section.get(
            "outcomeMeasuresModule", {}
        ).get("outcomeMeasures", [])
        assert trial.result_measures.count() == len(measures), path.stem
        events = section.get("adverseEventsModule", {})
        assert trial.adverse_events.count() == len(events.get("seriousEvents", []) + events.get("otherEvents", []))
    assert with_results >= 5


@pytest.mark.parametrize("nct_id", ["NCT04402008", "NCT00904748", "NCT00301262"])
def test_the_export_gives_back_the_registrys_modules(client, ctgov_imported, ctgov_data, nct_id):
    original = registry_study(nct_id)
    exported = client.get(f"/api/v2/studies/{nct_id}").json()
    assert exported["resultsSection"] == original["resultsSection"]
    for module in ("outcomesModule", "oversightModule", "ipdSharingStatementModule", "contactsLocationsModule"):
        assert exported["protocolSection"].get(module) == original["protocolSection"].get(module), module
    assert exported.get("documentSection") == original.get("documentSection")


def test_every_results_tab_renders(client, ctgov_imported):
    for nct_id in Trial.objects.filter(has_results=True).values_list("nct_id", flat=True):
        page(client, "results", nct_id)
    # Its age groups were posted without a unit and without numbers.
    baseline = table(page(client, "results", "NCT04326231"), "baseline-1-caption")
    assert "Age, Categorical" in baseline
    assert '<th scope="row">Between 18 and 65 years</th>' in baseline


@pytest.mark.parametrize("nct_id", WITH_RESULTS)
def test_the_results_tab_shows_the_numbers_of_its_json(client, ctgov_imported, ctgov_data, nct_id):
    section = registry_study(nct_id)["resultsSection"]
    text = page(client, "results", nct_id)
    unescaped = html.unescape(text)

    for number, measure in enumerate(section["outcomeMeasuresModule"]["outcomeMeasures"], start=1):
        assert measure["title"] in unescaped
        groups = measure.get("groups", [])
        for group in groups:
            assert group["title"] in unescaped
        if not groups:
            continue
        shown = table(text, f"outcome-{number}-caption")
        rows = [cells(row) for row in re.findall(r"<tr(?: class=\"denom\")?><th scope=\"row\">.*?</tr>", shown, re.S)]
        expected = [
            [
                next((m["value"] for m in category["measurements"] if m["groupId"] == group["id"]), "")
                for group in groups
            ]
            for measure_class in measure.get("classes", [])
            for category in measure_class.get("categories", [])
        ]
        denoms = [[count["value"] for count in denom["counts"]] for denom in measure.get("denoms", [])]
        # Shown with thousands separators ("1,467.00"), the registry's digits otherwise.
        shown_values = [[cell.split(" ")[0].replace(",", "") for cell in row] for row in rows]
        assert shown_values == denoms + expected, measure["title"]

    events = section.get("adverseEventsModule", {})
    for group in events.get("eventGroups", []):
        assert group["title"] in unescaped
    if events.get("seriousEvents"):
        shown = table(text, "events-serious-caption")
        rows = re.findall(r"<tr><td class=\"text\">(.*?)</td><th scope=\"row\">(.*?)</th>(.*?)</tr>", shown, re.S)
        page_rows = sorted(
            (html.unescape(organ), html.unescape(re.sub(r" <span.*", "", term)), tuple(cells(rest)))
            for organ, term, rest in rows
        )
        group_ids = [group["id"] for group in events["eventGroups"]]
        json_rows = sorted(
            (
                event.get("organSystem", ""),
                event["term"],
                tuple(
                    next((affected(s["numAffected"], s["numAtRisk"]) for s in event["stats"] if s["groupId"] == g), "")
                    for g in group_ids
                ),
            )
            for event in events["seriousEvents"]
        )
        assert page_rows == json_rows


def test_a_measure_with_more_than_four_groups_has_a_column_for_each(client, ctgov_imported, ctgov_data):
    section = registry_study("NCT04402008")["resultsSection"]
    groups = section["baselineCharacteristicsModule"]["groups"]
    assert len(groups) > 4
    shown = table(page(client, "results", "NCT04402008"), "baseline-1-caption")
    header = re.search(r"<thead>(.*?)</thead>", shown, re.S).group(1)
    assert header.count('<th scope="col"') == len(groups) + 1
    assert 'class="table-scroll"' in page(client, "results", "NCT04402008")


def test_statistical_analyses_are_shown_with_their_p_values(client, ctgov_imported, ctgov_data):
    measures = registry_study("NCT00106392")["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    analyses = [analysis for measure in measures for analysis in measure.get("analyses", [])]
    assert analyses
    text = page(client, "results", "NCT00106392")
    assert text.count('<table class="results analyses">') == sum(1 for m in measures if m.get("analyses"))
    for analysis in analyses:
        if "pValue" in analysis:
            assert html.escape(analysis["pValue"]) in text
        if "statisticalMethod" in analysis:
            assert html.escape(analysis["statisticalMethod"]) in text


def test_a_trial_without_results_says_so(client, seed_trial):
    text = page(client, "results", "NCT04133233")
    assert "No results have been posted for this trial" in text
    assert 'aria-current="page">Results<' in text


def test_the_results_tab_takes_one_query_for_a_small_and_a_large_record(
    client, ctgov_imported, django_assert_num_queries
):
    small, large = "NCT00142506", "NCT00301262"
    assert ResultMeasure.objects.filter(trial__nct_id=large).count() > 10 * max(
        1, ResultMeasure.objects.filter(trial__nct_id=small).count()
    )
    for nct_id in (small, large):
        # A first render: the trial with every results table, what its JSON-LD reads and its sites as
        # light rows (``trials.sites``), packed in one query that also gives the page's version.
        with django_assert_num_queries(1):
            page(client, "results", nct_id)


def test_a_results_module_of_the_wrong_type_is_rejected_and_nothing_is_saved(ctgov_data, tmp_path):
    wrong_value = registry_study("NCT04402008")
    measurements = wrong_value["resultsSection"]["baselineCharacteristicsModule"]["measures"][0]["classes"][0]
    measurements["categories"][0]["measurements"][0]["value"] = 61.7
    wrong_module = registry_study("NCT00904748")
    wrong_module["resultsSection"]["adverseEventsModule"] = ["not", "an", "object"]
    wrong_code = registry_study("NCT00106392")
    wrong_code["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"][0]["reportingStatus"] = "MAYBE"
    (tmp_path / "page.json").write_text(json.dumps({"studies": [wrong_value, wrong_module, wrong_code]}))

    report = import_paths([tmp_path])
    reasons = {failure.nct_id: failure.reason for failure in report.failures}
    assert "measurements[].value: expected text, got float" in reasons["NCT04402008"]
    assert "resultsSection.adverseEventsModule: expected an object" in reasons["NCT00904748"]
    assert "'MAYBE' is not a valid choice" in reasons["NCT00106392"]
    assert not Trial.objects.exists()
    assert not Measurement.objects.exists() and not AdverseEvent.objects.exists()


def test_changed_results_replace_the_old_ones(ctgov_imported, ctgov_data, tmp_path):
    study = registry_study("NCT04402008")
    study["resultsSection"]["adverseEventsModule"]["seriousEvents"] = study["resultsSection"]["adverseEventsModule"][
        "seriousEvents"
    ][:1]
    (tmp_path / "changed.json").write_text(json.dumps(study))
    assert import_paths([tmp_path]).counts["updated"] == 1
    assert AdverseEvent.objects.filter(trial__nct_id="NCT04402008", seriousness="SERIOUS").count() == 1


def test_the_summary_lists_contacts_with_links_central_first(client, ctgov_imported, ctgov_data):
    contacts = registry_study("NCT03118986")["protocolSection"]["contactsLocationsModule"]
    central = contacts["centralContacts"][0]
    site_contact = next(c for location in contacts["locations"] for c in location.get("contacts", []))
    text = html.unescape(page(client, "detail", "NCT03118986"))
    assert text.index(central["name"]) < text.index(site_contact["name"])
    assert f'href="mailto:{central["email"]}"' in text
    # Digits only, and the extension as RFC 3966 writes it.
    assert 'href="tel:4168137654;ext=201438"' in text and 'href="tel:8163026797"' in text


def test_a_small_trial_lists_every_site_once_grouped_by_country(client, ctgov_imported, ctgov_data):
    locations = registry_study("NCT00301262")["protocolSection"]["contactsLocationsModule"]["locations"]
    text = html.unescape(page(client, "detail", "NCT00301262"))
    assert text.count('<li class="site">') == len(locations)
    summaries = r'<details class="site-country"[^>]*>\s*<summary><span class="group-name">(.*?)</span>'
    countries = re.findall(summaries, text)
    assert countries == sorted({location["country"] for location in locations})


def big_trial_sites(ctgov_data):
    return registry_study("NCT04267848")["protocolSection"]["contactsLocationsModule"]["locations"]


def test_the_biggest_trial_lists_its_first_regions_and_counts_the_rest(client, ctgov_imported, ctgov_data):
    locations = big_trial_sites(ctgov_data)
    in_us = [location for location in locations if location["country"] == "United States"]
    recruiting = sum(location.get("status") == "RECRUITING" for location in in_us)
    text = html.unescape(page(client, "detail", "NCT04267848"))
    assert f"United States</span> — {len(in_us):,} sites, {recruiting:,} recruiting</summary>" in text
    assert f"{len(locations):,} sites in 2 countries" in text
    # Guam's one site, then the first US regions (Alaska's 9, Arizona's 6…) up to a screen's worth, listed.
    listed = text.count('<li class="site">')
    assert sites.OPEN_SITES <= listed <= sites.SHOW_ALL
    assert "FHP Health Center-Guam" in text and "Katmai Oncology Group" in text
    assert 'href="?site_country=United+States&site_region=Texas#locations-heading">Texas</a>' in text


def test_a_region_of_the_biggest_trial_lists_its_sites_with_their_contacts(
    client, ctgov_imported, ctgov_data, django_assert_num_queries
):
    in_texas = [
        location
        for location in big_trial_sites(ctgov_data)
        if location["country"] == "United States" and location.get("state") == "Texas"
    ]
    # The trial with its sites and their contacts as light rows, which also gives the version.
    with django_assert_num_queries(1):
        text = html.unescape(page(client, "detail", "NCT04267848", "?site_country=united+states&site_region=texas"))
    assert text.count('<li class="site">') == len(in_texas)
    for location in in_texas:
        assert location["facility"] in text
        for contact in location.get("contacts", []):
            if contact.get("email"):
                assert f'href="mailto:{contact["email"]}"' in text
    assert f"{len(in_texas)} of 1,148 sites in texas, united states" in text


def test_the_sites_filter_by_status_and_text(client, ctgov_imported, ctgov_data):
    locations = big_trial_sites(ctgov_data)
    in_anchorage = [location for location in locations if location.get("city") == "Anchorage"]
    recruiting = [location for location in in_anchorage if location.get("status") == "RECRUITING"]
    assert 0 < len(recruiting) < len(in_anchorage)
    text = html.unescape(page(client, "detail", "NCT04267848", "?site_status=recruiting&site_q=anchorage"))
    assert text.count('<li class="site">') == len(recruiting)
    assert f"{len(recruiting)} of 1,148 sites recruiting; matching “anchorage”" in text
    assert '<option value="RECRUITING" selected>Recruiting (659)</option>' in text
    # Words match in any order, across facility and place.
    text = html.unescape(page(client, "detail", "NCT04267848", "?site_q=99508+katmai"))
    assert text.count('<li class="site">') == 1 and "Katmai Oncology Group" in text


def test_a_country_the_trial_does_not_have_is_said_plainly(client, ctgov_imported):
    text = page(client, "detail", "NCT04267848", "?site_country=Atlantis&site_region=<b>")
    assert "No site of this trial is in &lt;b&gt;, Atlantis." in text
    assert '<li class="site">' not in text


def test_a_malformed_site_filter_is_a_400_that_says_why(client, ctgov_imported):
    response = client.get(reverse("trials:detail", args=["NCT04267848"]) + "?site_status=OPEN")
    assert response.status_code == 400
    assert "“OPEN” is not a site status: use one of ACTIVE_NOT_RECRUITING" in html.unescape(response.content.decode())
    response = client.get(reverse("trials:detail", args=["NCT04267848"]) + "?site_q=" + "x" * 201)
    assert response.status_code == 400
    assert "The site search takes at most 200 characters." in response.content.decode()


def test_the_map_draws_the_placed_sites_and_says_what_it_shows(client, ctgov_imported, ctgov_data):
    locations = big_trial_sites(ctgov_data)
    placed = [location for location in locations if location.get("geoPoint")]
    recruiting = sum(location.get("status") == "RECRUITING" for location in placed)
    text = page(client, "detail", "NCT04267848")
    assert '<svg class="site-map" viewBox="0 0 640 320" role="img" aria-labelledby="site-map-caption"' in text
    caption = html.unescape(re.search(r'<figcaption id="site-map-caption">(.*?)</figcaption>', text, re.S).group(1))
    assert f"Map of {len(placed):,} sites: ● {recruiting:,} recruiting" in re.sub(r"<[^>]+>", "", caption)
    assert f"{len(locations) - len(placed)} sites have no coordinates" in caption
    # Filtered, the map shows the sites the filter keeps.
    text = html.unescape(page(client, "detail", "NCT04267848", "?site_q=anchorage"))
    assert "Map of 8 sites matching “anchorage”" in text


def test_the_biggest_trial_summary_is_light(client, ctgov_imported):
    text = page(client, "detail", "NCT04267848")
    assert len(text.encode()) <= 200_000
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1)
    assert len(ld.encode()) <= 50_000


def test_the_print_page_lists_every_site_one_line_each(client, ctgov_imported, ctgov_data):
    locations = big_trial_sites(ctgov_data)
    text = page(client, "print", "NCT04267848")
    lines = re.findall(r'<ul class="site-lines">(.*?)</ul>', text, re.S)
    assert sum(part.count("<li>") for part in lines) == len(locations)
    assert '<li class="site">' not in text and "<svg" not in text
    assert '<h4 class="site-print-region">Texas <span class="count">(' in text


def test_why_stopped_comes_first_on_a_stopped_trial(client, ctgov_imported, ctgov_data):
    reason = registry_study("NCT04402008")["protocolSection"]["statusModule"]["whyStopped"]
    text = html.unescape(page(client, "detail", "NCT04402008"))
    assert text.index(reason) < text.index('id="summary-heading"')


def test_design_lists_primary_and_secondary_outcome_measures(client, ctgov_imported, ctgov_data):
    outcomes = registry_study("NCT04402008")["protocolSection"]["outcomesModule"]
    text = html.unescape(page(client, "design", "NCT04402008"))
    assert "Primary outcome measure" in text and "Secondary outcome measure" in text
    for outcome in outcomes["primaryOutcomes"] + outcomes["secondaryOutcomes"]:
        assert outcome["measure"] in text and outcome["timeFrame"] in text


def test_documents_link_to_the_registrys_files(client, ctgov_imported, ctgov_data):
    documents = registry_study("NCT04402008")["documentSection"]["largeDocumentModule"]["largeDocs"]
    text = page(client, "detail", "NCT04402008")
    for document in documents:
        assert f'href="https://cdn.clinicaltrials.gov/large-docs/08/NCT04402008/{document["filename"]}"' in text


def test_oversight_and_ipd_sharing_are_under_more_information(client, ctgov_imported, ctgov_data):
    protocol = registry_study("NCT04402008")["protocolSection"]
    text = html.unescape(page(client, "detail", "NCT04402008"))
    more = text[text.index('id="more-info-heading"') :]
    assert "Data monitoring committee" in more
    assert "Plan to share individual participant data" in more
    sharing = protocol["ipdSharingStatementModule"]
    assert {"YES": "Yes", "NO": "No", "UNDECIDED": "Undecided"}[sharing["ipdSharing"]] in more
    assert protocol["oversightModule"]["oversightHasDmc"] is not None


def test_results_are_read_only_in_the_admin(client, ctgov_imported, staff_editor):
    client.force_login(staff_editor)
    trial = Trial.objects.get(nct_id="NCT04402008")
    response = client.get(reverse("admin:trials_trial_change", args=[trial.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "posted results: baseline and outcome measures" in text.lower()
    measure = trial.result_measures.first()
    assert client.get(reverse("admin:trials_resultmeasure_add")).status_code == 403
    view = client.get(reverse("admin:trials_resultmeasure_change", args=[measure.pk]))
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    editors, viewers = Group.objects.get(name="Editors"), Group.objects.get(name="Viewers")
    assert editors.permissions.filter(codename="change_contact").exists()
    assert not editors.permissions.filter(codename="change_resultmeasure").exists()
    assert viewers.permissions.filter(codename="view_measurement").exists()


def test_every_results_model_is_read_by_one_relation_of_the_trial():
    from trials.ctgov import results
    from trials.models import RESULT_RELATIONS

    assert set(RESULT_RELATIONS) == set(results.RESULT_MODELS)
    # Parents are written before the rows that point at them.
    for model, keys in results.PARENT_KEYS.items():
        for parent in keys.values():
            assert results.RESULT_MODELS.index(parent) < results.RESULT_MODELS.index(model)


def test_a_lapsed_trials_sites_are_not_shown_as_recruiting(client, ctgov_imported):
    # Reports "Recruiting", last verified May 2023, completion passed: shown as "Unknown status".
    assert Trial.objects.get(nct_id="NCT05375201").status_lapsed
    text = html.unescape(page(client, "detail", "NCT05375201"))
    assert "1 site in 1 country, 0 recruiting." in text
    assert "National Taiwan University Hospital</strong> · Recruiting (last reported; not verified since)" in text
    assert '<path class="mark recruiting" d=""/>' in text
