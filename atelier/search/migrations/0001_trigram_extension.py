"""pg_trgm, for the typo-tolerant word similarity of `search.selectors` (PostgreSQL only).

No trigram GIN indexes: search filters on full-text rank OR word similarity ≥ 0.4 computed per row,
a shape the planner cannot answer from a trigram index (only the `%`/`%>` operators can use one, and
`%>` compares against pg_trgm's fixed 0.6 threshold, which "lighthuose" → "lighthouse", 0.55, misses).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class PostgresOnlyTrigramExtension(TrigramExtension):
    """CREATE EXTENSION pg_trgm, skipped outright on any other database (SQLite test runs)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = []

    operations = [PostgresOnlyTrigramExtension()]
