"""/api/v2/studies/{nctId} as FHIR, RIS and zipped JSON; former NCT IDs; bad parameters before caching.

On real records from trials/tests/data/ctgov (see its README): each format
is read back with its own reader (fhir.resources, rispy, zipfile) and checked
against the record it came from.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import rispy
from fhir.resources.R4B.researchstudy import ResearchStudy

from trials.api import ris
from trials.importers import import_paths
from trials.models import Trial

pytestmark = pytest.mark.django_db

RECORDS = (
    "NCT00057759",  # merged from NCT00075127; a collaborator; 30 sites; MeSH terms
    "NCT03118986",  # recruiting; central contacts; principal investigators; 8 collaborators
    "NCT00173134",  # status unknown, last known recruiting
    "NCT00184067",  # terminated, with the reason
    "NCT00205894",  # phases 1 and 2
    "NCT00000410",  # organization and NIH ids; references
    "NCT04267848",  # 1,148 sites
)
ALIAS, MERGED_INTO = "NCT00075127", "NCT00057759"


@pytest.fixture
def on_file(ctgov_data):
    report = import_paths([ctgov_data / f"{nct_id}.json" for nct_id in RECORDS])
    assert report.ok and report.counts["created"] == len(RECORDS)


def record(ctgov_data, nct_id: str) -> dict:
    return json.loads((ctgov_data / f"{nct_id}.json").read_text(encoding="utf-8"))


def fhir(client, nct_id: str) -> ResearchStudy:
    response = client.get(f"/api/v2/studies/{nct_id}", {"format": "fhir.json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    # The library's own reading, which checks every element's type and cardinality.
    return ResearchStudy.model_validate_json(response.content)


def contained(study: ResearchStudy, reference: str):
    return next(item for item in study.contained if f"#{item.id}" == reference)


def test_fhir_research_study_carries_the_record_field_by_field(client, on_file, ctgov_data):
    original = record(ctgov_data, MERGED_INTO)["protocolSection"]
    study = fhir(client, MERGED_INTO)
    assert study.id == MERGED_INTO
    assert study.title == original["identificationModule"]["officialTitle"]
    identifiers = [(item.use, item.system, item.value) for item in study.identifier]
    assert identifiers[:2] == [
        ("official", "https://clinicaltrials.gov", MERGED_INTO),
        ("old", "https://clinicaltrials.gov", ALIAS),
    ]
    assert [item.value for item in study.identifier[2:]] == ["RTOG-0215", "CDR0000269135", "NCI-P-02-0234"]
    assert study.identifier[2].assigner.display == "Radiation Therapy Oncology Group"
    assert study.status == "completed"
    assert [(coding.system, coding.code) for coding in study.phase.coding] == [
        ("http://terminology.hl7.org/CodeSystem/research-study-phase", "n-a")
    ]
    assert [concept.text for concept in study.category] == ["Interventional"]
    assert study.primaryPurposeType.coding[0].code == "supportive-care"
    # The conditions as named, then the MeSH descriptors the registry filed the record under, coded.
    conditions = original["conditionsModule"]["conditions"]
    assert [concept.text for concept in study.condition[: len(conditions)]] == conditions
    assert [
        (coding.system, coding.code, coding.display)
        for concept in study.condition[len(conditions) :]
        for coding in concept.coding
    ] == [
        ("http://terminology.hl7.org/CodeSystem/MSH", "D000011471", "Prostatic Neoplasms"),
        ("http://terminology.hl7.org/CodeSystem/MSH", "D000007172", "Erectile Dysfunction"),
    ]
    assert [concept.text for concept in study.keyword] == original["conditionsModule"]["keywords"]
    assert [arm.name for arm in study.arm] == [arm["label"] for arm in original["armsInterventionsModule"]["armGroups"]]
    assert (study.period.start, study.period.end) == ("2003-01", None)
    assert (
        study.description
        == original["descriptionModule"]["briefSummary"] + "\n\n" + original["descriptionModule"]["detailedDescription"]
    )
    assert contained(study, study.sponsor.reference).name == "Radiation Therapy Oncology Group"
    [party] = study.extension
    assert {item.url: item for item in party.extension}[
        "party"
    ].valueReference.display == "National Cancer Institute (NCI)"
    assert [location.text for location in study.location] == ["United States"]
    assert study.location[0].coding[0].code == "US"


def test_fhir_enrollment_group_holds_the_count_and_who_may_take_part(client, on_file, ctgov_data):
    study = fhir(client, MERGED_INTO)
    [reference] = study.enrollment
    group = contained(study, reference.reference)
    assert (group.quantity, group.actual, group.type) == (115, True, "person")
    by_code = {item.code.text: item for item in group.characteristic}
    assert by_code["Sex"].valueCodeableConcept.coding[0].code == "male"
    assert (by_code["Age"].valueRange.low.value, by_code["Age"].valueRange.low.code) == (18, "a")
    assert by_code["Age"].valueRange.high is None
    assert by_code["Accepts healthy volunteers"].valueBoolean is False
    criteria = [item.valueCodeableConcept.text for item in group.characteristic if "criterion" in item.code.text]
    assert "Radiotherapy completed within the past 6 months to 5 years" in criteria


def test_fhir_sites_are_contained_locations_in_the_records_order(client, on_file, ctgov_data):
    locations = record(ctgov_data, MERGED_INTO)["protocolSection"]["contactsLocationsModule"]["locations"]
    study = fhir(client, MERGED_INTO)
    sites = [contained(study, reference.reference) for reference in study.site]
    assert len(sites) == len(locations) == 30
    first = sites[0]
    assert (first.name, first.address.city, first.address.state, first.address.postalCode) == (
        "Mount Diablo Regional Cancer Center",
        "Concord",
        "California",
        "94524-4110",
    )
    assert (float(first.position.latitude), float(first.position.longitude)) == (37.97798, -122.03107)


def test_fhir_contacts_investigator_objectives_and_references(client, on_file, ctgov_data):
    original = record(ctgov_data, "NCT03118986")["protocolSection"]
    study = fhir(client, "NCT03118986")
    assert study.status == "active"
    central = original["contactsLocationsModule"]["centralContacts"]
    assert [contact.name for contact in study.contact] == [contact["name"] for contact in central]
    assert [point.value for point in study.contact[0].telecom if point.system == "email"] == [central[0]["email"]]
    investigators = [
        item["name"]
        for item in original["contactsLocationsModule"]["overallOfficials"]
        if item["role"] == "PRINCIPAL_INVESTIGATOR"
    ]
    assert contained(study, study.principalInvestigator.reference).name[0].text == investigators[0]
    assert len(study.extension) == len(original["sponsorCollaboratorsModule"]["collaborators"]) == 8
    primary = [item["measure"] for item in original["outcomesModule"]["primaryOutcomes"]]
    assert [objective.name for objective in study.objective if objective.type.coding[0].code == "primary"] == primary
    pmids = [item["pmid"] for item in original["referencesModule"]["references"] if item.get("pmid")]
    assert [artifact.url for artifact in study.relatedArtifact if artifact.type == "citation"] == [
        f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" for pmid in pmids
    ]


@pytest.mark.parametrize(
    ("nct_id", "status", "phase"),
    [
        ("NCT00173134", "active", None),  # UNKNOWN, last known RECRUITING
        ("NCT00184067", "administratively-completed", "phase-2"),
        ("NCT00205894", "completed", "phase-1-phase-2"),
    ],
)
def test_fhir_status_and_phase_codes(client, on_file, nct_id, status, phase):
    study = fhir(client, nct_id)
    assert study.status == status
    assert (study.phase.coding[0].code if study.phase else None) == phase


def test_fhir_says_why_a_study_stopped(client, on_file, ctgov_data):
    why = record(ctgov_data, "NCT00184067")["protocolSection"]["statusModule"]["whyStopped"]
    assert fhir(client, "NCT00184067").reasonStopped.text == why


def test_fhir_takes_no_fields_as_the_spec_says(client, on_file):
    response = client.get(f"/api/v2/studies/{MERGED_INTO}", {"format": "fhir.json", "fields": "NCTId"})
    assert response.status_code == 400
    assert response.content.decode().startswith("fields: fhir.json returns every field")


def test_a_large_record_costs_the_same_queries_as_a_small_one(client, on_file, django_assert_num_queries):
    for output in ("fhir.json", "ris", "json.zip"):
        with django_assert_num_queries(QUERIES[output]):
            assert client.get("/api/v2/studies/NCT00205894", {"format": output}).status_code == 200
        with django_assert_num_queries(QUERIES[output]):
            assert client.get("/api/v2/studies/NCT04267848", {"format": output}).status_code == 200


# The version (ETag), the trial and its export in one query, whatever the record's size.
QUERIES = {"fhir.json": 3, "ris": 3, "json.zip": 3}


def read_ris(response) -> dict:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"].endswith('.ris"')
    text = response.content.decode()
    assert text.endswith("ER  - \r\n") and "\n" not in text.replace("\r\n", "")
    [entry] = rispy.loads(text)
    return entry


def test_ris_record_reads_back_with_the_registrys_tags(client, on_file, ctgov_data):
    original = record(ctgov_data, "NCT00000410")["protocolSection"]
    entry = read_ris(client.get("/api/v2/studies/NCT00000410", {"format": "ris"}))
    identification = original["identificationModule"]
    assert entry["type_of_reference"] == "DBASE"
    assert entry["database_provider"] == "National Library of Medicine (US)"
    assert entry["id"] == entry["accession_number"] == "NCT00000410"
    assert entry["title"] == identification["officialTitle"]
    assert entry["short_title"].startswith(identification["briefTitle"])
    assert entry["publication_year"] == original["statusModule"]["studyFirstSubmitDate"]
    assert entry["access_date"] == original["statusModule"]["startDateStruct"]["date"]
    assert entry["custom1"] == original["sponsorCollaboratorsModule"]["leadSponsor"]["name"]
    assert entry["secondary_authors"] == [
        item["name"] for item in original["sponsorCollaboratorsModule"]["collaborators"]
    ]
    assert entry["custom2"] == "COMPLETED" and entry["custom5"] == "INTERVENTIONAL"
    assert entry["abstract"] == " ".join(original["descriptionModule"]["briefSummary"].split())
    assert entry["urls"] == ["https://clinicaltrials.gov/study/NCT00000410"]
    other_ids = entry["unknown_tag"]["U1"]
    assert other_ids[0] == identification["orgStudyIdInfo"]["id"]
    assert other_ids[1:] == [f"{item['id']} [{item['type']}]" for item in identification["secondaryIdInfos"]]
    assert entry["unknown_tag"]["SF"] == ["ClinicalTrials.gov"]


def test_ris_fields_choose_tags_and_unknown_tags_are_named(client, on_file):
    entry = read_ris(client.get(f"/api/v2/studies/{MERGED_INTO}", {"format": "ris", "fields": "ti|ab"}))
    assert set(entry) == {"type_of_reference", "title", "abstract"}
    response = client.get(f"/api/v2/studies/{MERGED_INTO}", {"format": "ris", "fields": "TI,ZZ,NCTId"})
    assert response.status_code == 400
    assert response.content.decode().startswith("fields: unknown RIS tag ZZ, NCTId;")


def test_ris_tags_are_declared_once_in_the_registrys_order():
    assert ris.TAG_NAMES[0] == "TY" and len(set(ris.TAG_NAMES)) == len(ris.TAG_NAMES)
    assert ris.tag_selection(["ab", "TI"]) == ["TI", "AB"]


def test_json_zip_holds_the_study_as_studies_sends_it(client, on_file):
    plain = client.get(f"/api/v2/studies/{MERGED_INTO}").json()
    response = client.get(f"/api/v2/studies/{MERGED_INTO}", {"format": "json.zip", "markupFormat": "legacy"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [f"{MERGED_INTO}.json"]
        # Dated by the version held, so that a version always zips to the same bytes.
        holder = plain["derivedSection"]["miscInfoModule"]["versionHolder"]
        year, month, day = archive.getinfo(f"{MERGED_INTO}.json").date_time[:3]
        assert f"{year:04d}-{month:02d}-{day:02d}" == holder
        # Markdown in the file whatever markupFormat says, as the spec says.
        assert json.loads(archive.read(f"{MERGED_INTO}.json")) == plain
    selected = client.get(f"/api/v2/studies/{MERGED_INTO}", {"format": "json.zip", "fields": "NCTId|BriefTitle"})
    with zipfile.ZipFile(io.BytesIO(selected.content)) as archive:
        assert json.loads(archive.read(f"{MERGED_INTO}.json")) == {
            "protocolSection": {
                "identificationModule": {
                    k: plain["protocolSection"]["identificationModule"][k] for k in ("nctId", "briefTitle")
                }
            }
        }


def test_aliases_are_stored_and_exported_as_the_registry_gave_them(on_file, ctgov_data, client):
    assert Trial.objects.get(nct_id=MERGED_INTO).nct_id_aliases == [ALIAS]
    assert Trial.objects.get(nct_id="NCT00000410").nct_id_aliases == []
    body = client.get(f"/api/v2/studies/{MERGED_INTO}").json()
    assert body["protocolSection"]["identificationModule"]["nctIdAliases"] == [ALIAS]
    assert Trial.objects.merged_into(ALIAS) == MERGED_INTO
    # A whole alias only: never a part of one, nor the study's own ID.
    assert not Trial.objects.aliased_as("NCT0007512").exists()
    assert not Trial.objects.aliased_as(MERGED_INTO).exists()


def test_an_alias_moves_for_good_to_the_study_in_the_api(client, on_file, django_assert_num_queries):
    with django_assert_num_queries(3):  # no version, no study, its alias
        response = client.get(f"/api/v2/studies/{ALIAS.lower()}", {"format": "ris", "fields": "TI"})
    assert response.status_code == 301
    assert response["Location"] == f"/api/v2/studies/{MERGED_INTO}?format=ris&fields=TI"
    assert client.get(f"/api/v2/studies/{ALIAS}")["Location"] == f"/api/v2/studies/{MERGED_INTO}"
    assert client.get("/api/v2/studies/NCT09999999").status_code == 404


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (f"/trials/{ALIAS}/", f"/trials/{MERGED_INTO}/"),
        (f"/trials/{ALIAS}/eligibility/", f"/trials/{MERGED_INTO}/eligibility/"),
        (f"/trials/{ALIAS}.json", f"/trials/{MERGED_INTO}.json"),
    ],
)
def test_an_alias_moves_for_good_to_the_trial_page(client, on_file, path, target):
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (301, target)


def test_searching_for_an_alias_goes_to_the_trial(client, on_file):
    response = client.get("/trials/", {"q": ALIAS})
    assert (response.status_code, response["Location"]) == (302, f"/trials/{MERGED_INTO}/")
    assert client.get("/trials/NCT09999999/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [{"format": "xml"}, {"format": "FHIR"}, {"markupFormat": "html"}, {"fields": "Nope"}, {"pageSize": "5"}],
)
def test_bad_parameters_win_over_a_conditional_request(client, on_file, query):
    url = f"/api/v2/studies/{MERGED_INTO}"
    etag = client.get(url)["ETag"]
    for held in ("*", etag):
        response = client.get(url, query, HTTP_IF_NONE_MATCH=held)
        assert response.status_code == 400, (held, query)
        assert response.content.decode().startswith(f"{next(iter(query))}: ")
    assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_each_format_has_its_own_etag(client, on_file):
    url = f"/api/v2/studies/{MERGED_INTO}"
    json_etag = client.get(url)["ETag"]
    ris_etag = client.get(url, {"format": "ris"})["ETag"]
    assert ris_etag != json_etag
    assert client.get(url, {"format": "ris"}, HTTP_IF_NONE_MATCH=json_etag).status_code == 200
    assert client.get(url, {"format": "ris"}, HTTP_IF_NONE_MATCH=ris_etag).status_code == 304


@pytest.mark.parametrize("value", ["fhir", "json.ZIP", "ris ", "", "csv,json", "x" * 300])
def test_unknown_formats_are_refused_naming_the_choices(client, on_file, value):
    response = client.get(f"/api/v2/studies/{MERGED_INTO}", {"format": value})
    assert response.status_code == 400
    assert response.content.decode().startswith("format: ")
    assert "json, csv, json.zip, fhir.json, ris" in response.content.decode()


def test_the_document_and_the_api_page_list_the_formats(client, on_file):
    spec = client.get("/api/v2/openapi.json").json()
    operation = spec["paths"]["/studies/{nctId}"]["get"]
    formats = next(item for item in operation["parameters"] if item["name"] == "format")
    assert set(formats["schema"]["enum"]) == {"json", "csv", "json.zip", "fhir.json", "ris"}
    assert {"application/fhir+json", "application/x-research-info-systems", "application/zip"} <= set(
        operation["responses"]["200"]["content"]
    )
    assert "301" in operation["responses"]
    page = client.get("/api/").content.decode()
    for example in ("format=fhir.json", "format=ris", "format=json.zip", "fields=TI|AB", "nctIdAliases"):
        assert example in page


def test_the_trial_page_offers_ris_and_fhir_downloads(client, on_file):
    page = client.get(f"/trials/{MERGED_INTO}/").content.decode()
    assert f"/api/v2/studies/{MERGED_INTO}?format=ris" in page
    assert f"/api/v2/studies/{MERGED_INTO}?format=fhir.json" in page


def test_aliases_are_a_field_and_an_essie_piece(client, on_file):
    body = client.get(f"/api/v2/studies/{MERGED_INTO}", {"fields": "NCTIdAliases"}).json()
    assert body == {"protocolSection": {"identificationModule": {"nctIdAliases": [ALIAS]}}}
    # The registry names the list by one item, NCTIdAlias; the list's own key is taken too.
    for piece in ("NCTIdAlias", "NCTIdAliases"):
        found = client.get("/api/v2/studies", {"filter.advanced": f"AREA[{piece}]{ALIAS}", "fields": "NCTId"}).json()
        assert found["studies"] == [{"protocolSection": {"identificationModule": {"nctId": MERGED_INTO}}}]


@pytest.mark.parametrize("output", ["fhir.json", "ris", "json.zip"])
def test_a_format_is_built_once_per_version_then_read_from_the_shared_cache(
    client, on_file, output, django_assert_num_queries
):
    url = "/api/v2/studies/NCT04267848"
    first = client.get(url, {"format": output})
    with django_assert_num_queries(1):  # the version alone
        again = client.get(url, {"format": output})
    assert again.content == first.content
    assert (again["Content-Type"], again.get("Content-Disposition")) == (
        first["Content-Type"],
        first.get("Content-Disposition"),
    )
    # A query string holding more than the format is built each time, never kept.
    with django_assert_num_queries(3):
        assert client.get(url, {"format": output, "markupFormat": "markdown"}).content == first.content
