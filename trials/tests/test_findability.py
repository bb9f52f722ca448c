import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.urls import reverse

from trials import search
from trials.importers import import_paths
from trials.models import Trial

pytestmark = pytest.mark.django_db


def test_the_sitemap_lists_every_trial_with_its_last_update(client, seed_trial):
    index = client.get("/sitemap.xml").content.decode()
    section = re.search(r"<loc>https?://[^/]+(/sitemap-trials\.xml[^<]*)</loc>", index).group(1)
    trials = client.get(section.replace("&amp;", "&")).content.decode()
    assert "/trials/NCT04133233/</loc>" in trials
    assert "<lastmod>2023-08-08</lastmod>" in trials


def test_robots_keeps_crawlers_out_of_the_admin_and_points_at_the_sitemap(client, db):
    body = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in body
    assert re.search(r"^Sitemap: https?://\S+/sitemap\.xml$", body, re.M)


def test_a_trial_page_has_a_precise_title_description_and_open_graph_tags(client, seed_trial):
    html = client.get(reverse("trials:detail", args=["NCT04133233"])).content.decode()
    assert (
        "<title>Low Dose IL-2 Therapy in Patients With a Depressive Episode in the Course of a Bipolar Disorder "
        "(NCT04133233)" in html
    )
    assert '<meta name="description" content="The aim of this research' in html
    assert '<link rel="canonical" href="http://testserver/trials/NCT04133233/">' in html
    assert '<meta property="og:title" content="Low Dose IL-2 Therapy' in html


def test_atom_feeds_of_recent_trials_and_of_a_search(client, seed_trial, ctgov_data):
    from trials.importers import import_paths

    import_paths([ctgov_data])
    recent = client.get("/trials/feed/")
    assert recent["Content-Type"].startswith("application/atom+xml")
    entries = re.findall(r"<entry>.*?</entry>", recent.content.decode(), re.S)
    assert len(entries) == 50
    search = client.get("/trials/feed/", {"q": "IL-2", "phase": "PHASE2"}).content.decode()
    assert "trials for “IL-2”" in search
    assert re.findall(r"<title>([^<]*)</title>", search)[1:] == [
        "Low Dose IL-2 Therapy in Patients With a Depressive Episode in the Course of a Bipolar Disorder (NCT04133233)"
    ]
    wrong = client.get("/trials/feed/", {"status": "NOPE"})
    assert wrong.status_code == 400
    assert "NOPE" in wrong.content.decode()


ATOM = "{http://www.w3.org/2005/Atom}"


def test_the_feed_is_valid_xml_whatever_a_trial_holds(client, seed_trial):
    # Stored past every check, as an older import or a direct write could have.
    from trials.models import Trial

    Trial.objects.filter(pk=seed_trial.pk).update(
        brief_title="Heart\x01 failure\ufffe study\uffff", brief_summary="Bell\x07 and \x0bvertical tab\tkept"
    )
    for url in ("/trials/feed/", "/trials/feed/?q=NCT04133233"):
        response = client.get(url)
        assert response.status_code == 200
        entry = ET.fromstring(response.content).find(f"{ATOM}entry")  # a strict parser: no forbidden character
        assert entry.find(f"{ATOM}title").text == "Heart failure study (NCT04133233)"
        assert entry.find(f"{ATOM}summary").text.startswith("Completed. Bell and vertical tab\tkept")
    trials = client.get("/sitemap-trials.xml").content
    assert ET.fromstring(trials).find("{http://www.sitemaps.org/schemas/sitemap/0.9}url") is not None


WORDS = Path(__file__).parent / "data" / "words"
# A registry listing "Heart Attack" among its 64 conditions, and a trial of myocardial infarction.
REGISTRY, INFARCTION = "NCT03840928", "NCT00711542"


def test_a_trial_of_dozens_of_conditions_ranks_below_one_about_the_condition(client):
    report = import_paths([WORDS])
    assert report.ok, report.failures
    html = client.get(reverse("trials:list"), {"q": "heart attack"}).content.decode()
    assert re.findall(r'<span class="nct">(NCT\d{8})</span>', html) == [INFARCTION, REGISTRY]
    backend = search.backend()
    reading = search.read("heart attack", backend)
    ranks = dict(
        backend.ranked(Trial.objects.filter(reading.q), reading.rank_text, 10, reading.boost).values_list(
            "nct_id", "rank"
        )
    )
    # The registry's match among its conditions and by descriptor earns no more than a match in a summary.
    assert ranks[REGISTRY] < backend.head_rank <= ranks[INFARCTION]
