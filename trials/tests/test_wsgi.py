"""The server's entry point: what a worker does before its first request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_reads_the_vocabulary_and_the_gazetteer_as_it_starts():
    # Read in the first search otherwise: seconds for the visitor who asks it.
    show = (
        "from trials.search import vocabulary; from trials.places import gazetteer; "
        "print(vocabulary.lookup_table.cache_info().currsize, vocabulary._known_index.cache_info().currsize, "
        "gazetteer._cities.cache_info().currsize)"
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
    assert process.stdout.split() == ["1", "1", "1"]
