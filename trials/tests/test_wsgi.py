"""The server's entry point: what a worker does before its first request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_reads_its_urls_vocabulary_and_gazetteer_as_it_starts():
    # Read in the first requests otherwise: seconds for the visitors who ask them.
    show = (
        "import sys; from trials.search import vocabulary; from trials.places import gazetteer; "
        "print(vocabulary.lookup_table.cache_info().currsize, vocabulary._known_index.cache_info().currsize, "
        "gazetteer._cities.cache_info().currsize, int('trials.api.views' in sys.modules))"
    )
    process = subprocess.run(
        [sys.executable, "-c", "import trialportal.wsgi; " + show],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "trialportal.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stderr
    assert process.stdout.split() == ["1", "1", "1", "1"]
