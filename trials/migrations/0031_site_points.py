"""Each point where the registry has sites, once, with how many sites it has (PostgreSQL).

The registry places a site at its city's point, so the sites share few
points: at 600,000 trials some seven million sites stand on 1,419 points,
a hundred thousand of them on New York's. A distance search measures the
points in its circle (``places.points``), not the sites, then reads the
sites of those points from an index on (latitude, longitude, trial) that
holds their status too, so neither the distance nor the nearest-site rule
reads a table row. Statistics on the two coordinates together tell the
planner how many sites stand on a point, so that a dense city's trials are
estimated, not counted.

Statement triggers keep the table exact whatever writes the sites: the
importers' COPY, the writer replacing a trial's children, the admin, a
deletion. SQLite has no table: it measures the sites themselves.
"""

from django.db import migrations

TABLE = "trials_site_point"
INDEX = "site_point_trials"
STATISTICS = "site_point_statistics"

CREATE = f"""
CREATE TABLE {TABLE} (
    latitude double precision NOT NULL,
    longitude double precision NOT NULL,
    sites integer NOT NULL,
    PRIMARY KEY (latitude, longitude)
);
INSERT INTO {TABLE} (latitude, longitude, sites)
SELECT latitude, longitude, count(*) FROM trials_site
WHERE latitude IS NOT NULL AND longitude IS NOT NULL GROUP BY 1, 2;

-- A statement's sites, counted per point from its transition tables: added ones count
-- up, removed ones down, an update both (nothing, when no site moved). In point order,
-- so that concurrent statements lock the points they share in the same order.
CREATE FUNCTION trials_site_point_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {TABLE} AS point (latitude, longitude, sites)
        SELECT latitude, longitude, count(*) FROM added_sites
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (latitude, longitude) DO UPDATE SET sites = point.sites + EXCLUDED.sites;
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO {TABLE} AS point (latitude, longitude, sites)
        SELECT latitude, longitude, -count(*) FROM removed_sites
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (latitude, longitude) DO UPDATE SET sites = point.sites + EXCLUDED.sites;
    ELSE
        INSERT INTO {TABLE} AS point (latitude, longitude, sites)
        SELECT latitude, longitude, sum(change) FROM (
            SELECT latitude, longitude, 1 AS change FROM added_sites
            UNION ALL
            SELECT latitude, longitude, -1 FROM removed_sites
        ) moves
        WHERE latitude IS NOT NULL AND longitude IS NOT NULL GROUP BY 1, 2 HAVING sum(change) <> 0 ORDER BY 1, 2
        ON CONFLICT (latitude, longitude) DO UPDATE SET sites = point.sites + EXCLUDED.sites;
    END IF;
    DELETE FROM {TABLE} AS point
    WHERE point.sites <= 0 AND (point.latitude, point.longitude) IN (SELECT latitude, longitude FROM removed_sites);
    RETURN NULL;
END $$;

CREATE TRIGGER trials_site_point_insert AFTER INSERT ON trials_site
REFERENCING NEW TABLE AS added_sites FOR EACH STATEMENT EXECUTE FUNCTION trials_site_point_count();
CREATE TRIGGER trials_site_point_delete AFTER DELETE ON trials_site
REFERENCING OLD TABLE AS removed_sites FOR EACH STATEMENT EXECUTE FUNCTION trials_site_point_count();
CREATE TRIGGER trials_site_point_update AFTER UPDATE ON trials_site
REFERENCING OLD TABLE AS removed_sites NEW TABLE AS added_sites
FOR EACH STATEMENT EXECUTE FUNCTION trials_site_point_count();
-- A TRUNCATE (Django's flush, a reload by hand) fires no delete trigger: it empties the points too.
CREATE FUNCTION trials_site_point_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {TABLE};
    RETURN NULL;
END $$;
CREATE TRIGGER trials_site_point_truncate AFTER TRUNCATE ON trials_site
FOR EACH STATEMENT EXECUTE FUNCTION trials_site_point_clear();
-- The sites of a point, by trial, with what the nearest-site rule needs: read from the index alone.
CREATE INDEX IF NOT EXISTS {INDEX} ON trials_site (latitude, longitude, trial_id) INCLUDE (status);
-- How many sites stand on each point, for the planner: with statistics on the two columns
-- apart, New York's latitude and its longitude look like independent chances.
CREATE STATISTICS IF NOT EXISTS {STATISTICS} (mcv) ON latitude, longitude FROM trials_site;
ANALYZE trials_site;
ANALYZE {TABLE};
"""

DROP = f"""
DROP TRIGGER IF EXISTS trials_site_point_insert ON trials_site;
DROP TRIGGER IF EXISTS trials_site_point_delete ON trials_site;
DROP TRIGGER IF EXISTS trials_site_point_update ON trials_site;
DROP TRIGGER IF EXISTS trials_site_point_truncate ON trials_site;
DROP FUNCTION IF EXISTS trials_site_point_count();
DROP FUNCTION IF EXISTS trials_site_point_clear();
DROP TABLE IF EXISTS {TABLE};
DROP INDEX IF EXISTS {INDEX};
DROP STATISTICS IF EXISTS {STATISTICS};
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0030_intervention_text_trigrams"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
