"""Tag search reads each tag's newest posts first, from an index (PostgreSQL only; a no-op elsewhere).

The tag branch of search asks for the newest CANDIDATES_PER_BRANCH posts carrying any of the query's
tags. With only (post_id) and (tag_id) indexes on the tag table, PostgreSQL walked every tagging
newest first and joined each to the tag names: 1.4 s at full scale (1.5M taggings) when no tag had
the name. An index on (tag_id, post_id) lets each named tag hand back its newest posts at once.
"""

from django.db import migrations

FORWARDS = "CREATE INDEX posts_post_tags_tag_newest ON posts_post_tags (tag_id, post_id DESC);"
BACKWARDS = "DROP INDEX posts_post_tags_tag_newest;"


def _run_on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_typo_vocabulary"), ("posts", "0008_post_state_machine")]

    operations = [migrations.RunPython(_run_on_postgres(FORWARDS), _run_on_postgres(BACKWARDS))]
