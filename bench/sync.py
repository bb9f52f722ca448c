"""Sync benchmark: a mirror syncing from a source portal on loopback.

    .venv/bin/python bench/sync.py [N] [--changes K] [--runs R]   (defaults: 2000, 20, 3)

A source TrialPortal (its own SQLite database, N generated studies) serves
``/api/v2`` from a process of its own; each mirror is a fresh SQLite database
synced by ``manage.py sync_registry`` in a process of its own, without the
request-rate limit. It prints:

- a full sync, R runs: seconds, studies/s, requests and peak resident memory
  (min / median / max), against the baseline of importing the same studies
  from a ZIP export of the source (same machine, same run);
- an incremental sync after K studies changed at the source: the requests it made,
  and the versions it kept (bytes per study-version: what history costs per change);
- a full sync through a proxy failing one request in four (503, 429 with
  Retry-After, a dropped connection, a cut answer), in pages of 100: that it
  completes and holds the same studies, digest for digest, as a clean sync.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trials.tests.portals import FaultyProxy, SourcePortal  # noqa: E402

SUMMARY = re.compile(r"(\d+) new, (\d+) updated, (\d+) unchanged, (\d+) failed; (\d+) pages?, (\d+) requests?")


def manage(database: Path, *args: str, **env: str) -> tuple[float, float, str]:
    """Run manage.py on ``database``: wall seconds, peak resident MB of that process, its output."""
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SYNC_MAX_REQUESTS_PER_MINUTE": "0", **env}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, stdout=out, stderr=err
        )
        # wait4: this process's own peak memory, not the largest of every child so far.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(f"manage.py {' '.join(args)} failed:\n{err.read().decode()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def fresh(folder: Path, name: str) -> Path:
    database = folder / f"{name}.sqlite3"
    database.unlink(missing_ok=True)
    manage(database, "migrate", "--noinput", "-v0")
    return database


def digests(database: Path) -> dict[str, str]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT nct_id, source_digest FROM trials_trial"))


def figures(values: list[float], unit: str, digits: int = 1) -> str:
    return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / {max(values):.{digits}f} {unit}"


def change_studies(source: SourcePortal, folder: Path, count: int) -> list[str]:
    """``count`` studies of the source completed today, re-imported there."""
    with urllib.request.urlopen(f"{source.url}/studies?pageSize={count}") as response:
        studies = orjson.loads(response.read())["studies"]
    changed = folder / "changed"
    changed.mkdir(exist_ok=True)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    for study in studies:
        status = study["protocolSection"]["statusModule"]
        status["overallStatus"] = "TERMINATED" if status["overallStatus"] != "TERMINATED" else "COMPLETED"
        status["lastUpdatePostDateStruct"] = {"date": today, "type": "ACTUAL"}
        (changed / f"{study['protocolSection']['identificationModule']['nctId']}.json").write_bytes(orjson.dumps(study))
    source.manage("import_trials", str(changed), "--no-progress")
    return [study["protocolSection"]["identificationModule"]["nctId"] for study in studies]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("studies", nargs="?", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    n = options.studies
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        folder = Path(tmp)
        source = SourcePortal(fresh(folder, "source"))
        source.manage("generate_trials", str(n), "--seed", "22")
        source.manage("export_trials", str(folder / "export.zip"))
        source.start()
        try:
            print(f"Source: {n:,} generated studies at {source.url}; mirrors on SQLite, in {folder}")
            baseline, full, rss, requests = [], [], [], set()
            for _ in range(options.runs):
                seconds, _, _ = manage(fresh(folder, "baseline"), "import_trials", str(folder / "export.zip"))
                baseline.append(seconds)
                mirror = fresh(folder, "mirror")
                seconds, peak, out = manage(mirror, "sync_registry", "--from", source.url, "--full", "--no-progress")
                full.append(seconds)
                rss.append(peak)
                requests.add(int(SUMMARY.search(out).group(6)))
            print(f"Import of the ZIP export (baseline): {figures(baseline, 's')} (min / median / max)")
            print(f"Full sync: {figures(full, 's')}; {figures([n / s for s in full], 'studies/s', 0)}")
            print(f"  ratio to the baseline (median): {statistics.median(full) / statistics.median(baseline):.2f}")
            print(f"  requests: {', '.join(map(str, sorted(requests)))}; peak RSS {figures(rss, 'MB', 0)}")

            changed = change_studies(source, folder, options.changes)
            seconds, _, out = manage(mirror, "sync_registry", "--from", source.url, "--no-progress")
            match = SUMMARY.search(out)
            print(
                f"Incremental sync after {len(changed)} changes: {match.group(2)} updated, "
                f"{match.group(6)} request(s), {seconds:.1f} s (a full pass takes {min(requests)})"
            )
            with sqlite3.connect(mirror) as db:
                kept, stored = db.execute("SELECT COUNT(*), SUM(LENGTH(document)) FROM trials_trialversion").fetchone()
            print(f"  versions kept: {kept}, {stored / max(kept, 1):,.0f} bytes each (the study compressed)")

            clean = fresh(folder, "clean")
            manage(clean, "sync_registry", "--from", source.url, "--full", "--no-progress")
            with FaultyProxy(source.url) as proxy:
                faulty = fresh(folder, "faulty")
                # Pages of 100, so that the faults come round more than once.
                seconds, _, out = manage(
                    faulty,
                    *("sync_registry", "--from", proxy.url, "--full", "--no-progress", "--page-size", "100"),
                    SYNC_BACKOFF_SECONDS="0.1",
                )
            match = SUMMARY.search(out)
            same = digests(faulty) == digests(clean)
            print(
                f"Through a proxy failing 1 request in 4 ({len(proxy.faults)} faults: "
                f"{', '.join(sorted(set(proxy.faults)))}): {match.group(1)} new, {match.group(6)} requests, "
                f"{seconds:.1f} s; same studies as a clean sync: {'yes' if same else 'NO'}"
            )
            if not same:
                raise SystemExit(1)
        finally:
            source.stop()


if __name__ == "__main__":
    main()
