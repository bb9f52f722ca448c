import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse

from trials.importers import import_paths
from trials.tests.factories import make_trial

pytestmark = pytest.mark.django_db

TABS = ["detail", "design", "eligibility", "related", "results"]


def page(client, name, nct_id="NCT04133233"):
    response = client.get(reverse(f"trials:{name}", args=[nct_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_summary_shows_the_records_facts(client, seed_trial):
    html = page(client, "detail")
    for fact in [
        "NCT04133233",
        "Completed",
        "Phase 2",
        "15 participants",
        "Interventional",
        "June 15, 2020",
        "July 20, 2022",
        "August 8, 2023",
        "Iltoo Pharma",
        "Assistance Publique - Hôpitaux de Paris",
        "Marion Leboyer, Pr",
        "Study Chair",
        '<span class="group-name">France</span> — 1 site</summary>',
        '<span class="group-name">Hôpital Albert Chenevier</span> — 1 site</summary>',
        '<p class="city-name">Créteil</p>',
        "Locations",
        'href="https://clinicaltrials.gov/study/NCT04133233"',
        'href="https://doi.org/10.1016/j.bbi.2024.09.005"',
        "2018-002777-22",
        "EudraCT Number",
        "D20180617",
        "The secondary objective of this study",
    ]:
        assert fact in html, fact


def test_design_shows_labels_arms_and_interventions(client, seed_trial):
    html = page(client, "design")
    for fact in ["Randomized", "Parallel Assignment", "Treatment", "Quadruple", "active treatment", "ILT101"]:
        assert fact in html, fact
    assert "outcomes assessor do not know" in html
    assert "1 million UI/j" in html


def test_eligibility_lists_each_criterion(client, seed_trial):
    html = page(client, "eligibility")
    inclusion = re.search(r'<ul class="criteria inclusion checkboxes">(.*?)</ul>', html, re.S).group(1)
    exclusion = re.search(r'<ul class="criteria exclusion checkboxes">(.*?)</ul>', html, re.S).group(1)
    assert inclusion.count("<li>") == 4
    assert exclusion.count("<li>") == 26
    assert "MADRS score &gt; 17" in inclusion
    assert "18 Years to 65 Years" in html


def test_related_links_to_our_page_when_the_trial_is_on_file(client, seed_trial, test_data):
    from trials.importers import import_paths

    html = page(client, "related")
    assert 'href="https://clinicaltrials.gov/study/NCT03396744"' in html
    assert html.count('rel="external"') == 5

    import_paths([test_data / "NCT90000002.txt"])
    html = page(client, "related", "NCT90000002")
    assert f'href="{reverse("trials:detail", args=["NCT04133233"])}"' in html
    assert 'href="https://clinicaltrials.gov/study/NCT90000003"' in html


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_is_semantic_html(client, seed_trial, tab):
    html = page(client, tab)
    assert html.count("<h1") == 1
    assert "<main" in html and "<nav" in html
    assert 'href="#content"' in html
    assert 'aria-current="page"' in html
    for input_id in re.findall(r'<input[^>]* id="([^"]+)"', html):
        assert f'for="{input_id}"' in html
    # Scripts are JSON-LD data or our own files, never inline code (test_security checks them closely).
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert tag == '<script type="application/ld+json">' or tag.startswith('<script src="/static/js/'), tag


@pytest.mark.parametrize("tab", [*TABS, "print"])
def test_each_tab_takes_one_query_however_big_the_trial(client, django_assert_num_queries, tab):
    make_trial("NCT90000100", size=2)
    make_trial("NCT90000200", size=40)
    # The trial with every child it shows, packed in its own query (``Trial.with_rows``), its sites and
    # contacts as light rows (``trials.sites``), which gives a record's tab its version (``caching.page_read``);
    # the tabs that show related trials read theirs first (``caching.RELATED``), and the Related tab adds
    # its lists: the listed trials on file and the computed similar ones, in one query.
    queries = {"related": 3, "eligibility": 2, "print": 2}.get(tab, 1)
    for nct_id in ("NCT90000100", "NCT90000200"):
        with django_assert_num_queries(queries):
            page(client, tab, nct_id)


@pytest.mark.parametrize("tab", ["detail", "print"])
def test_the_1148_site_record_takes_one_query_or_two(client, ctgov_data, django_assert_num_queries, tab):
    assert import_paths([ctgov_data / "NCT04267848.json"]).ok
    # The trial packed in one query with its sites and contacts as light rows; the print page, its version first.
    with django_assert_num_queries(1 if tab == "detail" else 2):
        html = page(client, tab, "NCT04267848")
    assert "1,148" in html


def test_list_and_home_take_fixed_queries(client, django_assert_max_num_queries):
    for n in range(30):
        make_trial(f"NCT9000{n:04d}", size=2)
    # Home: counts, the rows and what they show. List: also the status and phase counts.
    # On PostgreSQL the count and the two facets each add a savepoint and a release.
    # The list page's country picker reads the countries on file once an hour (the first time here).
    listing = 15 if connection.vendor == "postgresql" else 9
    for url, queries in (
        (reverse("trials:home"), 7),
        (reverse("trials:list"), listing),
        (reverse("trials:list") + "?page=2", listing),
    ):
        with django_assert_max_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200
    html = client.get(reverse("trials:list")).content.decode()
    assert "30 trials" in html
    assert "Page 1 of 2" in html


def test_a_lowercase_nct_id_redirects_to_the_canonical_url(client, seed_trial):
    response = client.get("/trials/nct04133233/eligibility/")
    assert response.status_code == 301
    assert response["Location"] == "/trials/NCT04133233/eligibility/"


def test_an_unknown_trial_is_a_404_in_the_sites_style(client, db):
    response = client.get("/trials/NCT99999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No trial NCT99999999 is on file." in html
    assert "Skip to content" in html


def test_enrollment_has_a_thousands_separator(client, seed_trial):
    seed_trial.enrollment_count = 1210
    seed_trial.save(update_fields=["enrollment_count"])
    assert "1,210 participants" in client.get("/trials/NCT04133233/").content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [("/trials/NCT99999999/design/", "No trial NCT99999999 is on file."), ("/no/such/page/", "There is no page at")],
)
def test_under_debug_a_missing_page_is_still_the_sites_404(client, db, settings, monkeypatch, url, message):
    settings.DEBUG = True
    monkeypatch.delenv("DJANGO_DEBUG_TECHNICAL_404", raising=False)
    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert message in html and "Skip to content" in html
    assert "URLconf" not in html and "Django tried these URL patterns" not in html
    assert "Content-Security-Policy" in response.headers


def test_under_debug_djangos_technical_404_is_kept_on_request(client, db, settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DJANGO_DEBUG_TECHNICAL_404", "1")
    html = client.get("/no/such/page/").content.decode()
    assert "Django tried these URL patterns" in html


def test_the_summary_lists_the_records_mesh_terms_each_a_search(client, ctgov_data):
    assert import_paths([ctgov_data / "NCT00904748.json"]).ok
    html = client.get("/trials/NCT00904748/").content.decode()
    section = html.split('<section class="mesh-terms"', 1)[1].split("</section>", 1)[0]
    assert "Terms related to this study" in section
    assert re.findall(r'<li><a href="/trials/\?q=([^"]+)">([^<]+)</a></li>', section) == [
        ("Erectile%20Dysfunction", "Erectile Dysfunction"),
        ("Citric%20Acid", "Citric Acid"),
        ("Sildenafil%20Citrate", "Sildenafil Citrate"),
        ("Sodium%20Citrate", "Sodium Citrate"),
    ]


def test_a_long_description_is_folded_on_the_summary_and_open_on_the_print_page(client, ctgov_data):
    assert import_paths([ctgov_data / "NCT00203242.json"]).ok
    summary = client.get("/trials/NCT00203242/").content.decode()
    assert '<details class="long-text">' in summary
    assert re.search(r"<summary>Read the detailed description <span class=\"count\">\([\d,]+ words\)</span>", summary)
    printed = client.get("/trials/NCT00203242/print/").content.decode()
    assert '<details class="long-text" open>' in printed


def test_a_trial_page_links_to_itself_and_to_its_json(client, seed_trial):
    html = client.get("/trials/NCT04133233/design/").content.decode()
    assert 'value="http://testserver/trials/NCT04133233/"' in html
    assert '<a href="/api/v2/studies/NCT04133233" download="NCT04133233.json"' in html


def test_the_home_page_has_a_search_box_and_the_trials_on_file(client, seed_trial):
    html = client.get("/").content.decode()
    # One search box: the header's is left out beside the page's own.
    assert html.count('type="search"') == 1
    assert "Low Dose IL-2 Therapy" in html
    assert "1 trial on file" in html


def test_the_home_page_writes_its_counts_with_thousands_separators(rf):
    html = render_to_string(
        "trials/home.html", {"trial_count": 2010, "recruiting_count": 1148, "recent_trials": []}, request=rf.get("/")
    )
    assert "2,010 trials on file, 1,148 open to new participants." in html
    assert "See all 2,010 trials" in html


def test_the_list_writes_a_trials_site_count_with_thousands_separators(client, ctgov_data):
    import_paths([ctgov_data / "NCT04267848.json"])
    html = client.get(reverse("trials:list")).content.decode()
    assert "<dt>Locations</dt><dd>1,148</dd>" in html


@pytest.mark.parametrize("tab", TABS)
def test_every_glossary_link_on_a_trial_page_lands_on_an_entry(client, seed_trial, tab):
    glossary = client.get(reverse("trials:glossary")).content.decode()
    anchors = set(re.findall(r' id="([^"]+)"', glossary))
    links = re.findall(r'href="/glossary/#([^"]+)"', page(client, tab))
    assert links and set(links) <= anchors, set(links) - anchors


def test_the_glossary_explains_every_status_and_phase(client, db):
    from trials import choices

    html = client.get(reverse("trials:glossary")).content.decode()
    for code in choices.OverallStatus.values:
        assert f'id="status-{code.lower().replace("_", "-")}"' in html, code
    for code in choices.Phase.values:
        assert f'id="phase-{code.lower().replace("_", "-")}"' in html, code
    assert 'id="healthy-volunteers"' in html and 'id="masking-quadruple"' in html


def test_a_list_row_shows_what_a_reader_scans_for(client, ctgov_data):
    import json

    from trials.importers import import_paths

    assert import_paths([ctgov_data / "NCT04267848.json", ctgov_data / "NCT02945449.json"]).ok
    study = json.loads((ctgov_data / "NCT04267848.json").read_text(encoding="utf-8"))["protocolSection"]
    names = [item["name"] for item in study["armsInterventionsModule"]["interventions"]]
    html = client.get(reverse("trials:list")).content.decode()
    row = html[html.index("NCT04267848") - 400 : html.index("NCT02945449")]
    assert 'href="/trials/NCT04267848/"' in row
    assert '<span class="visually-hidden">Status: </span>Recruiting</span>' in row
    assert '<span class="phase">Phase 3</span>' in row and "<span>Interventional</span>" in row
    assert f"<dd>{', '.join(names[:4])} and {len(names) - 4} more</dd>" in row
    assert "<dt>Conditions</dt><dd>Lung Non-Small Cell Carcinoma, Lung Non-Small Cell Squamous" in row
    assert "<dt>Ages</dt><dd>18 Years and older</dd>" in row and "<dt>Sex</dt><dd>All</dd>" in row
    assert "<dt>Locations</dt><dd>1,148</dd>" in row
    assert "<dt>Sponsor</dt><dd>National Cancer Institute (NCI)</dd>" in row
    other = html[html.index("NCT02945449") :]
    assert "<dt>Ages</dt><dd>25 Years to 70 Years</dd>" in other and "<dt>Sex</dt><dd>Male</dd>" in other


def test_sponsor_classes_read_as_words_and_an_observational_study_has_no_phase_to_give(client, ctgov_data):
    # NCT00007696: observational, no phases; NCT00057759: interventional, phase "NA"; NCT00106392's lead
    # sponsor is a company.
    paths = [ctgov_data / f"{nct_id}.json" for nct_id in ("NCT00007696", "NCT00057759", "NCT00106392")]
    assert import_paths(paths).ok
    facts = page(client, "detail", "NCT00007696").split('class="key-facts"')[1].split("</dl>")[0]
    assert "Phase</a>" not in facts and "<dd>Observational</dd>" in facts
    facts = page(client, "detail", "NCT00057759").split('class="key-facts"')[1].split("</dl>")[0]
    assert "Phase</a></dt><dd>Not Applicable</dd>" in facts
    assert "Phase</a></dt><dd>Not Applicable</dd>" in page(client, "design", "NCT00057759")
    html = page(client, "detail", "NCT00106392")
    assert '<span class="code">(Industry)</span>' in html and "(INDUSTRY)" not in html


def test_the_sort_menu_offers_relevance_only_with_a_search_text(client, seed_trial):
    def menu(**params) -> list[tuple[str, str]]:
        html = client.get(reverse("trials:list"), params).content.decode()
        return re.findall(
            r'<option value="([a-z]*)"[^>]*>([^<]+)</option>', html.split('id="id_sort"')[1].split("</select>")[0]
        )

    # The default order comes first, sent empty, so that a text or a place typed later brings its own.
    assert menu() == [("", "Last update"), ("start", "Start date"), ("enrollment", "Enrollment")]
    assert menu(q="migraine")[:2] == [("", "Relevance"), ("updated", "Last update")]
    assert menu(q="migraine", sort="updated")[1] == ("updated", "Last update")


def test_the_admin_sign_in_names_the_portal(client, db):
    html = client.get(reverse("admin:login")).content.decode()
    assert "TrialPortal administration" in html and "Django administration" not in html


def test_a_dates_type_may_wrap_after_its_slash(client, ctgov_data):
    assert import_paths([ctgov_data / "NCT05375201.json"]).ok
    html = client.get("/trials/NCT05375201/").content.decode()
    assert "(estimated/<wbr>anticipated)" in html
