"""What the search index is made of, and the SQL that writes it (PostgreSQL).

A trial's ``search_vector`` weighs four documents (``search_documents``) and
its ``facet_tokens`` hold what the filters match (the grammar is
``trials/facets.py``; ``trials_facet_tokens``, migrations 0012 and 0024, writes them).
The importers' writer and staff edits both build them from here, so a trial
is found the same way however it arrived: the writer computes them on the
way in (``insert_trials_with_vectors``), an edit recomputes them from the
stored rows (``update_vectors``). The columns and indexes themselves are in
``trials/models/trial.py`` and the migrations.
"""

from __future__ import annotations

from django.db import connection

from .. import db
from ..models import Trial

# The weighted vector from the four documents of ``search_documents``.
VECTOR_SQL = (
    "setweight(to_tsvector('trialportal', {a}), 'A') || setweight(to_tsvector('trialportal', {b}), 'B')"
    " || setweight(to_tsvector('trialportal', {c}), 'C') || setweight(to_tsvector('trialportal', {d}), 'D')"
)
DESCRIPTION_LIMIT = 50_000

# Most tokens a filter asks for at once (conditions named like a word); past it, a join.
MAX_TOKENS = 500

# A stored trial ``t``'s facet tokens (see ``fields.TokenListField`` and migrations 0012 and 0024).
FACETS_FROM_ROWS = """trials_facet_tokens(
    t.overall_status, t.phases, t.study_type, t.allocation, t.sex, t.healthy_volunteers, t.has_results,
    (SELECT agency_class FROM trials_sponsor WHERE trial_id = t.id AND is_lead ORDER BY position LIMIT 1),
    ARRAY(SELECT country FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT city FROM trials_site WHERE trial_id = t.id ORDER BY position, id),
    ARRAY(SELECT condition_id FROM trials_trialcondition WHERE trial_id = t.id),
    ARRAY(SELECT type FROM trials_intervention WHERE trial_id = t.id),
    ARRAY(SELECT mesh_id FROM trials_meshterm WHERE trial_id = t.id)
)"""

# Staged beside a trial's row on import: what its facet tokens are made of
# (the writer's ``facet_sources``), in the order of ``trials_facet_tokens``.
FACET_COLUMNS = (
    ("lead_class", "text"),
    ("site_countries", "text[]"),
    ("site_cities", "text[]"),
    ("condition_ids", "bigint[]"),
    ("intervention_types", "text[]"),
    ("mesh_ids", "text[]"),
)
FACETS_FROM_STAGING = (
    "trials_facet_tokens(overall_status, phases, study_type, allocation, sex, healthy_volunteers, has_results, "
    + ", ".join(name for name, _ in FACET_COLUMNS)
    + ")"
)


def search_documents(
    *,
    nct_id: str,
    titles: list[str],
    identifiers: list[str],
    conditions: list[str],
    keywords: list[str],
    interventions: list[str],
    brief_summary: str,
    sponsors: list[str],
    detailed_description: str,
) -> tuple[str, str, str, str]:
    """What a trial's search vector is made of, by weight.

    A: NCT ID, titles, acronym and other IDs; B: conditions, keywords and
    interventions (names and other names); C: the brief summary and sponsors;
    D: the detailed description. The importer and staff edits both build the
    vector from this, so a trial is found the same way however it arrived.
    """
    return (
        " ".join([nct_id, *titles, *identifiers]),
        " ".join([*conditions, *keywords, *interventions]),
        " ".join([brief_summary, *sponsors]),
        detailed_description[:DESCRIPTION_LIMIT],
    )


def trial_documents(trial: Trial) -> tuple[str, str, str, str]:
    """``search_documents`` of a stored trial (from ``Trial.objects.for_detail()``)."""
    return search_documents(
        nct_id=trial.nct_id,
        titles=[trial.brief_title, trial.official_title, trial.acronym],
        identifiers=[identifier.identifier for identifier in trial.identifiers.all()],
        conditions=trial.condition_names,
        keywords=list(trial.keywords),
        interventions=[
            *(name for item in trial.interventions.all() for name in (item.name, *item.other_names)),
            *trial.other_intervention_names,
        ],
        brief_summary=trial.brief_summary,
        sponsors=[sponsor.name for sponsor in trial.sponsors.all()],
        detailed_description=trial.detailed_description,
    )


def insert_trials_with_vectors(
    rows: list[dict], documents: list[tuple[str, str, str, str]], facets: list[tuple]
) -> None:
    """Insert trials with their search vectors and facet tokens computed on the way in.

    Rows are copied to a staging table with their four search documents and
    what their tokens are made of (``FACET_COLUMNS``), and moved over in one
    ``INSERT ... SELECT``: setting either afterwards would rewrite every row
    and every index entry a second time.
    """
    table = db.table(Trial)
    columns = [column for column in table.columns if column not in ("search_vector", "facet_tokens")]
    column_list = ", ".join(connection.ops.quote_name(column) for column in columns)
    vector = VECTOR_SQL.format(a="doc_a", b="doc_b", c="doc_c", d="doc_d")
    with connection.cursor() as cursor:
        # The trial's own compression (lz4 where the server has it: see
        # migration 0011), as INSERT ... SELECT keeps values compressed as staged.
        compression = " COMPRESSION lz4" if _has_lz4(cursor) else ""
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS trials_trial_staging (LIKE trials_trial INCLUDING COMPRESSION, "
            + ", ".join(
                [f"doc_{part} text{compression}" for part in "abcd"]
                + [f"{name} {kind}" for name, kind in FACET_COLUMNS]
            )
            + ")"
        )
        positions = [table.columns.index(column) for column in columns]
        db.copy_rows(
            cursor,
            "trials_trial_staging",
            [*columns, "doc_a", "doc_b", "doc_c", "doc_d", *(name for name, _ in FACET_COLUMNS)],
            (
                [*(values[index] for index in positions), *document, *facet]
                for values, document, facet in zip(map(table.db_row, rows), documents, facets, strict=True)
            ),
        )
        cursor.execute(
            f"INSERT INTO trials_trial ({column_list}, search_vector, facet_tokens) "
            f"SELECT {column_list}, {vector}, {FACETS_FROM_STAGING} FROM trials_trial_staging"
        )
        # TRUNCATE, not DELETE: a temporary table is never vacuumed, and the
        # next batch's INSERT ... SELECT would scan every dead row left behind.
        cursor.execute("TRUNCATE trials_trial_staging")


def update_vectors(trial_ids: list[int]) -> None:
    """Recompute the vectors and facet tokens of these trials from what is stored (after a staff edit)."""
    trials = list(Trial.objects.filter(pk__in=trial_ids).for_detail())
    if not trials:
        return
    documents = [trial_documents(trial) for trial in trials]
    vector = VECTOR_SQL.format(a="v.a", b="v.b", c="v.c", d="v.d")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE trials_trial AS t SET search_vector = {vector}, facet_tokens = {FACETS_FROM_ROWS}
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS v(id, a, b, c, d)
            WHERE t.id = v.id""",
            [[trial.pk for trial in trials], *([document[i] for document in documents] for i in range(4))],
        )


_LZ4: list[bool] = []


def _has_lz4(cursor) -> bool:
    """Whether the server can compress with lz4 (asked once per process)."""
    if not _LZ4:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        _LZ4.append(bool(row and row[0]))
    return _LZ4[0]
