"""The Chinese search index over complaint title + description, kept in step by the database itself.

PostgreSQL: ``search_complaintdoc`` holds ``kefu_search_tsv(title,
description)`` (the distinct character bigrams as a tsvector) per complaint
under a GIN index, written by triggers on every insert, update, delete and
truncate of a complaint (COPY included). SQLite: a contentless FTS5 table keyed
by the complaint id, fed by triggers that call ``kefu_search_doc`` (registered
on every Django connection by ``kefu.search.apps``).
"""

from django.db import migrations

# Frozen copy of kefu.search.tokens.CJK_CLASS (migrations never change).
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

PG_FORWARD = [
    # COST: about 90 us a row (regexp, array, tsvector); without it the planner
    # believes the function is cheap and may evaluate it on a million rows.
    f"""
    CREATE OR REPLACE FUNCTION kefu_search_tsv(title text, description text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE COST 2500 AS $$
      SELECT array_to_tsvector(coalesce(array_agg(DISTINCT tok), '{{}}'::text[]))
      FROM (
        SELECT CASE WHEN length(r.m[1]) = 1 THEN r.m[1] ELSE substr(r.m[1], i, 2) END AS tok
        FROM regexp_matches(coalesce($1, '') || ' ' || coalesce($2, ''), '[{CJK}]+', 'g') AS r(m),
             generate_series(1, greatest(length(r.m[1]) - 1, 1)) AS i
      ) s
    $$
    """,
    # The bigrams are stored, not recomputed: a search that walks the list
    # order tests a stored tsvector (microseconds) per row, not the function.
    # No foreign key: TRUNCATE of the complaints (test flushes) would refuse;
    # the triggers below keep the rows in step instead.
    "CREATE TABLE search_complaintdoc (complaint_id bigint PRIMARY KEY, tsv tsvector NOT NULL)",
    "CREATE INDEX search_complaintdoc_tsv_idx ON search_complaintdoc USING gin (tsv)",
    """
    CREATE OR REPLACE FUNCTION kefu_search_complaint_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM search_complaintdoc WHERE complaint_id = OLD.id;
        RETURN OLD;
      END IF;
      IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
        DELETE FROM search_complaintdoc WHERE complaint_id = OLD.id;
      END IF;
      INSERT INTO search_complaintdoc (complaint_id, tsv) VALUES (NEW.id, kefu_search_tsv(NEW.title, NEW.description))
      ON CONFLICT (complaint_id) DO UPDATE SET tsv = EXCLUDED.tsv;
      RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER search_complaint_ins AFTER INSERT ON complaints_complaint "
    "FOR EACH ROW EXECUTE FUNCTION kefu_search_complaint_sync()",
    "CREATE TRIGGER search_complaint_upd AFTER UPDATE OF id, title, description ON complaints_complaint "
    "FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.title IS DISTINCT FROM NEW.title "
    "OR OLD.description IS DISTINCT FROM NEW.description) EXECUTE FUNCTION kefu_search_complaint_sync()",
    "CREATE TRIGGER search_complaint_del AFTER DELETE ON complaints_complaint "
    "FOR EACH ROW EXECUTE FUNCTION kefu_search_complaint_sync()",
    """
    CREATE OR REPLACE FUNCTION kefu_search_complaint_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN TRUNCATE search_complaintdoc; RETURN NULL; END $$
    """,
    "CREATE TRIGGER search_complaint_trunc AFTER TRUNCATE ON complaints_complaint "
    "FOR EACH STATEMENT EXECUTE FUNCTION kefu_search_complaint_truncate()",
    # Complaints that exist before this migration.
    "INSERT INTO search_complaintdoc (complaint_id, tsv) "
    "SELECT id, kefu_search_tsv(title, description) FROM complaints_complaint",
]
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_complaint_ins ON complaints_complaint",
    "DROP TRIGGER IF EXISTS search_complaint_upd ON complaints_complaint",
    "DROP TRIGGER IF EXISTS search_complaint_del ON complaints_complaint",
    "DROP TRIGGER IF EXISTS search_complaint_trunc ON complaints_complaint",
    "DROP FUNCTION IF EXISTS kefu_search_complaint_truncate()",
    "DROP FUNCTION IF EXISTS kefu_search_complaint_sync()",
    "DROP TABLE IF EXISTS search_complaintdoc",
    "DROP FUNCTION IF EXISTS kefu_search_tsv(text, text)",
]

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE search_complaint_fts USING fts5(doc, content='', detail='none')",
    "CREATE TRIGGER search_complaint_ai AFTER INSERT ON complaints_complaint BEGIN "
    "INSERT INTO search_complaint_fts(rowid, doc) VALUES (new.id, kefu_search_doc(new.title, new.description)); "
    "END",
    "CREATE TRIGGER search_complaint_ad AFTER DELETE ON complaints_complaint BEGIN "
    "INSERT INTO search_complaint_fts(search_complaint_fts, rowid, doc) "
    "VALUES ('delete', old.id, kefu_search_doc(old.title, old.description)); "
    "END",
    "CREATE TRIGGER search_complaint_au AFTER UPDATE OF id, title, description ON complaints_complaint "
    "WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.description IS NOT new.description BEGIN "
    "INSERT INTO search_complaint_fts(search_complaint_fts, rowid, doc) "
    "VALUES ('delete', old.id, kefu_search_doc(old.title, old.description)); "
    "INSERT INTO search_complaint_fts(rowid, doc) VALUES (new.id, kefu_search_doc(new.title, new.description)); "
    "END",
    # Complaints that exist before this migration.
    "INSERT INTO search_complaint_fts(rowid, doc) "
    "SELECT id, kefu_search_doc(title, description) FROM complaints_complaint",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_complaint_ai",
    "DROP TRIGGER IF EXISTS search_complaint_ad",
    "DROP TRIGGER IF EXISTS search_complaint_au",
    "DROP TABLE IF EXISTS search_complaint_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
