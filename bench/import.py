"""Import benchmark: N generated studies as a bulk ZIP, imported as the registry's download would be.

    .venv/bin/python bench/import.py [N]        (default 10000; DATABASE_URL picks the database)
    .venv/bin/python bench/import.py --memory [MB]

Writes the ZIP to a temporary folder, imports it into a fresh test database,
and prints studies per second and the peak resident memory of the import.
It also prints the CPU time one study costs, here and (for a server on this
machine) in PostgreSQL: on a machine of few cores that, not waiting, is what
bounds the rate. Then it imports the same studies again, unchanged, and once more
each with a new status and enrollment (every trial replaced, its previous
version kept).

``--memory`` builds hostile inputs instead, from the real records in
shared/data/ctgov/v2: a JSON array of about MB megabytes (200 by default),
the same studies as an API search page, and a 1 MB ZIP holding one 1 GB
member; it imports each in a process of its own and prints that process's
peak resident memory, which must stay under 400 MB whatever the input.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialportal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from trials.generation import generate_studies  # noqa: E402
from trials.importers import default_workers, import_paths, max_study_bytes, worth_bulk_loading  # noqa: E402
from trials.models import Trial, TrialVersion  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident memory of this process and, separately counted, its finished workers."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_worker_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


CLUSTER_PREFIX = re.compile(r"^postgres: (?:[^\s:]+: )?")
CLIENT = re.compile(r"\S+\(\d+\)|\[local\]")


class ServerCPU:
    """CPU seconds PostgreSQL spends meanwhile on ``database`` (from /proc, sampled).

    Counted: the connections to that database and the server's own processes
    (WAL writer, checkpointer, autovacuum), not other databases' connections.
    Connections live through the import, so sampling every tenth of a second
    misses at most the last tenth of each process that ends.
    """

    def __init__(self, database: str):
        self.database = database
        self.seconds: dict[str, float] = {}
        self.tick = os.sysconf("SC_CLK_TCK")
        self.done = threading.Event()
        self.start = self._sample()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _sample(self) -> dict[str, float]:
        found = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            name, rest = stat[stat.index("(") + 1 :].rsplit(")", 1)
            if name.startswith("postgres") and not self._serves_another_database(pid):
                fields = rest.split()
                found[pid] = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
        return found

    def _serves_another_database(self, pid: str) -> bool:
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return True
        # A connection's title: "postgres: [15/main: ]<user> <database> <client> <activity>".
        words = CLUSTER_PREFIX.sub("", title).split()
        is_connection = len(words) > 2 and CLIENT.fullmatch(words[2])
        return bool(is_connection) and words[1] != self.database

    def _watch(self) -> None:
        while not self.done.wait(0.1):
            self.seconds.update(self._sample())

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        self.seconds.update(self._sample())
        return sum(seconds - self.start.get(pid, 0) for pid, seconds in self.seconds.items())


def python_cpu() -> float:
    """CPU seconds of this process and its finished worker processes."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def write_zip(archive: Path, count: int, changed: bool = False) -> None:
    """The generated studies; ``changed``: each with a new status and enrollment, as a later download."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for study in generate_studies(count):
            nct_id = study["protocolSection"]["identificationModule"]["nctId"]
            if changed:
                # The generated studies share objects: change copies.
                study = json.loads(json.dumps(study))
                status = study["protocolSection"].setdefault("statusModule", {})
                status["overallStatus"] = "COMPLETED" if status.get("overallStatus") != "COMPLETED" else "TERMINATED"
                design = study["protocolSection"].setdefault("designModule", {})
                count_before = (design.get("enrollmentInfo") or {}).get("count") or 0
                design["enrollmentInfo"] = {"count": count_before + 1, "type": "ACTUAL"}
            bundle.writestr(f"{nct_id}.json", json.dumps(study))


REAL_RECORDS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ctgov" / "v2"
MEMORY_LIMIT_MB = 400


def write_array(target: Path, megabytes: int, page: bool) -> int:
    """A JSON array (or a search page) of about ``megabytes`` MB: the real records, renumbered, over and over."""
    records = sorted(REAL_RECORDS.glob("*.json"))
    written = count = 0
    with target.open("wb") as out:
        out.write(b'{"studies": [' if page else b"[")
        while written < megabytes * 1e6:
            study = json.loads(records[count % len(records)].read_bytes())
            study["protocolSection"]["identificationModule"]["nctId"] = f"NCT9{count:07d}"
            data = (b",\n" if count else b"") + json.dumps(study).encode()
            out.write(data)
            written += len(data)
            count += 1
        out.write(b'], "nextPageToken": "next"}' if page else b"]")
    return count


def write_bomb(target: Path, megabytes: int = 1024) -> None:
    """A ZIP holding one member of ``megabytes`` MB: a study whose summary never ends, highly compressible."""
    chunk = b"a" * 2**20
    with (
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("NCT99999999.json", "w", force_zip64=True) as member,
    ):
        member.write(b'{"protocolSection": {"identificationModule": {"nctId": "NCT99999999"}, ')
        member.write(b'"descriptionModule": {"briefSummary": "')
        for _ in range(megabytes):
            member.write(chunk)
        member.write(b'"}}}')


def write_heavy(target: Path, count: int, limit: int) -> None:
    """A ZIP of ``count`` studies each just under ``limit``: the largest real record, its sites repeated."""
    study = json.loads(max(REAL_RECORDS.glob("*.json"), key=lambda path: path.stat().st_size).read_bytes())
    locations = study["protocolSection"]["contactsLocationsModule"]["locations"]
    per_site = len(json.dumps(locations)) / len(locations)
    study["protocolSection"]["contactsLocationsModule"]["locations"] = locations * int(
        (limit * 0.95 - len(json.dumps(study))) / per_site / len(locations)
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in range(count):
            study["protocolSection"]["identificationModule"]["nctId"] = f"NCT98{number:06d}"
            archive.writestr(f"NCT98{number:06d}.json", json.dumps(study))


def import_in_child(path: Path, queue) -> None:
    """Import ``path`` here, in a process of its own; put (summary, failures, peak MB, MB at the start) on ``queue``."""
    start = peak_rss_mb()
    report = import_paths([path])
    failures = [str(failure)[:160] for failure in report.failures[:3]]
    queue.put((report.summary(), failures, peak_rss_mb(), start))
    # The next case starts from an empty database, as this one did (deleted here: it takes memory).
    Trial.objects.all().delete()


def memory(megabytes: int) -> None:
    """Peak memory of importing hostile inputs: a large JSON array, a large search page, a ZIP bomb."""
    setup_test_environment(debug=False)
    test_database = connection.creation.create_test_db(verbosity=0, keepdb=False)
    worst = 0.0
    try:
        with tempfile.TemporaryDirectory() as folder:
            array, page, bomb = Path(folder) / "array.json", Path(folder) / "page.json", Path(folder) / "bomb.zip"
            count = write_array(array, megabytes, page=False)
            write_array(page, megabytes, page=True)
            write_bomb(bomb)
            heavy = Path(folder) / "heavy.zip"
            write_heavy(heavy, 6, max_study_bytes())
            with zipfile.ZipFile(bomb) as archive:
                inflated = archive.infolist()[0].file_size
            cases = [
                (f"JSON array, {array.stat().st_size / 1e6:.0f} MB, {count} studies", array),
                (f"search page, {page.stat().st_size / 1e6:.0f} MB, {count} studies", page),
                (f"ZIP of {bomb.stat().st_size / 1e6:.1f} MB, one member of {inflated / 1e9:.1f} GB", bomb),
                (f"ZIP of 6 studies of {0.95 * max_study_bytes() / 2**20:.0f} MB (the largest allowed)", heavy),
            ]
            for label, path in cases:
                connections.close_all()  # the child must not share this process's connection
                context = multiprocessing.get_context("fork")
                queue = context.Queue()
                child = context.Process(target=import_in_child, args=(path, queue))
                started = time.perf_counter()
                child.start()
                summary, failures, peak, start = queue.get()
                child.join()
                worst = max(worst, peak)
                print(f"{label}: {summary} in {time.perf_counter() - started:.0f} s")
                for failure in failures:
                    print(f"    {failure}")
                print(f"    peak RSS {peak:.0f} MB (the process held {start:.0f} MB before the import)")
    finally:
        connection.creation.destroy_test_db(test_database, verbosity=0)
    verdict = "under" if worst < MEMORY_LIMIT_MB else "OVER"
    print(f"largest peak: {worst:.0f} MB, {verdict} the {MEMORY_LIMIT_MB} MB bound")
    if worst >= MEMORY_LIMIT_MB:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("size", nargs="?", type=int, help="studies (default 10000), or MB with --memory (200)")
    parser.add_argument("--memory", action="store_true", help="peak memory of hostile inputs, not the rate")
    options = parser.parse_args()
    if options.memory:
        memory(options.size or 200)
        return
    count = options.size or 10_000
    setup_test_environment(debug=False)
    test_database = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            archive = Path(folder) / "ctg-studies.zip"
            started = time.perf_counter()
            # In a process of its own: the vocabulary it loads must not count in the import's peak memory.
            connections.close_all()
            writer = multiprocessing.get_context("fork").Process(target=write_zip, args=(archive, count))
            writer.start()
            writer.join()
            if writer.exitcode:
                sys.exit("could not write the ZIP of generated studies")
            size_mb = archive.stat().st_size / 1e6
            print(f"wrote {count} studies to a {size_mb:.0f} MB ZIP in {time.perf_counter() - started:.1f} s")
            rss_before = peak_rss_mb()
            local_server = (
                connection.vendor == "postgresql"
                and Path("/proc").is_dir()
                and (connection.settings_dict["HOST"] in ("", "localhost", "127.0.0.1", "::1"))
            )
            server_cpu = ServerCPU(connection.settings_dict["NAME"]) if local_server else None
            cpu_before = python_cpu()
            started = time.perf_counter()
            workers = int(os.environ.get("BENCH_WORKERS", default_workers(count)))
            report = import_paths([archive], workers=workers, bulk=worth_bulk_loading(count))
            elapsed = time.perf_counter() - started
            here = python_cpu() - cpu_before
            there = server_cpu.stop() if server_cpu else None
            print(f"database: {connection.vendor}, worker processes: {workers}")
            print(f"import: {report.summary()}")
            print(f"import: {count / elapsed:.0f} studies/s ({elapsed:.1f} s for {count})")
            line = f"peak RSS: {peak_rss_mb():.0f} MB (before the import: {rss_before:.0f} MB)"
            if workers:
                line += f"; largest other process (a worker, or the ZIP writer): {peak_worker_rss_mb():.0f} MB"
            print(line)
            cores = os.cpu_count() or 1
            line = f"CPU per study: {1000 * here / count:.2f} ms in Python"
            if there is not None:
                both = here + there
                line += (
                    f", {1000 * there / count:.2f} ms in PostgreSQL; on {cores} cores that bounds "
                    f"the import to {cores * count / both:.0f} studies/s (both cores busy throughout: "
                    f"{100 * both / (cores * elapsed):.0f}% of the time here)"
                )
            print(line)
            started = time.perf_counter()
            again = import_paths([archive], workers=workers)
            print(f"re-import: {again.summary()} at {count / (time.perf_counter() - started):.0f} studies/s")
            # Every study changed: each replaced trial keeps its previous version.
            changed = Path(folder) / "ctg-studies-changed.zip"
            write_zip(changed, count, changed=True)
            server_cpu = ServerCPU(connection.settings_dict["NAME"]) if local_server else None
            cpu_before = python_cpu()
            started = time.perf_counter()
            replaced = import_paths([changed], workers=workers)
            line = f"changed re-import: {replaced.summary()} at {count / (time.perf_counter() - started):.0f} studies/s"
            line += f"; CPU per study: {1000 * (python_cpu() - cpu_before) / count:.2f} ms in Python"
            if server_cpu:
                line += f", {1000 * server_cpu.stop() / count:.2f} ms in PostgreSQL"
            print(line)
            kept = [
                len(document)
                for document in TrialVersion.objects.exclude(document=None).values_list("document", flat=True)
            ]
            if kept:
                print(
                    f"versions kept: {len(kept)}, {sum(kept) / len(kept):.0f} bytes each compressed "
                    f"(min {min(kept)}, max {max(kept)})"
                )
    finally:
        connection.creation.destroy_test_db(test_database, verbosity=0)


if __name__ == "__main__":
    main()
