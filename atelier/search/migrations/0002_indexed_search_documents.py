"""Indexed search on PostgreSQL (a no-op on any other database).

Search matches a row when full-text search finds it OR a trigram word-similarity match does (typos)
OR one of its tags is named. An OR of row-wise computed conditions can use no index, so each branch
gets its own index and `search.selectors` asks them separately, as a UNION of ids:

- `search_document`, a stored tsvector on posts and profiles, kept up to date by triggers (so bulk
  loads, admin edits and raw SQL all keep it right) and indexed with GIN;
- GIN trigram indexes (gin_trgm_ops) on the text the `<%` word-similarity operator compares;
  `<%` uses the session's `pg_trgm.word_similarity_threshold`, which `SearchConfig.ready` sets on
  every new connection (0.4: "lighthuose" → "lighthouse" is 0.55).

The columns live outside the Django models on purpose: only PostgreSQL has them, and only the
search selectors read them.
"""

from django.db import migrations

POST_DOCUMENT = """
    setweight(to_tsvector('english', coalesce({row}.title, '')), 'A')
    || setweight(to_tsvector('english', coalesce({row}.description, '')), 'B')
"""
# The handle lives on the user row; names are matched without stemming ('simple'), the rest in English.
PROFILE_DOCUMENT = """
    setweight(to_tsvector('simple', coalesce({row}.display_name, '') || ' ' || coalesce(
        (SELECT handle FROM accounts_user WHERE accounts_user.id = {row}.user_id), '')), 'A')
    || setweight(to_tsvector('english', coalesce({row}.headline, '')), 'B')
    || setweight(to_tsvector('english', coalesce({row}.skills::text, '')), 'B')
"""

# Built from the constants above only (no input), hence the S608 waiver.
FORWARDS = f"""
ALTER TABLE posts_post ADD COLUMN search_document tsvector;
CREATE FUNCTION atelier_post_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := {POST_DOCUMENT.format(row="NEW")};
    RETURN NEW;
END $$;
CREATE TRIGGER posts_post_search_document BEFORE INSERT OR UPDATE OF title, description ON posts_post
    FOR EACH ROW EXECUTE FUNCTION atelier_post_search_document();
UPDATE posts_post SET search_document = {POST_DOCUMENT.format(row="posts_post")};
CREATE INDEX posts_post_search_document_gin ON posts_post USING gin (search_document);
CREATE INDEX posts_post_title_trgm ON posts_post USING gin (title gin_trgm_ops);

ALTER TABLE accounts_profile ADD COLUMN search_document tsvector;
CREATE FUNCTION atelier_profile_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := {PROFILE_DOCUMENT.format(row="NEW")};
    RETURN NEW;
END $$;
CREATE TRIGGER accounts_profile_search_document BEFORE INSERT OR UPDATE ON accounts_profile
    FOR EACH ROW EXECUTE FUNCTION atelier_profile_search_document();
-- A new handle re-indexes the profile (the no-op update fires the profile trigger).
CREATE FUNCTION atelier_user_handle_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts_profile SET user_id = user_id WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_user_handle_changed AFTER UPDATE OF handle ON accounts_user
    FOR EACH ROW WHEN (OLD.handle IS DISTINCT FROM NEW.handle)
    EXECUTE FUNCTION atelier_user_handle_changed();
UPDATE accounts_profile SET search_document = {PROFILE_DOCUMENT.format(row="accounts_profile")};
CREATE INDEX accounts_profile_search_document_gin ON accounts_profile USING gin (search_document);
CREATE INDEX accounts_profile_display_name_trgm ON accounts_profile USING gin (display_name gin_trgm_ops);
CREATE INDEX accounts_profile_headline_trgm ON accounts_profile USING gin (headline gin_trgm_ops);
CREATE INDEX accounts_profile_skills_trgm ON accounts_profile USING gin ((skills::text) gin_trgm_ops);
CREATE INDEX accounts_user_handle_trgm ON accounts_user USING gin (handle gin_trgm_ops);
"""  # noqa: S608

BACKWARDS = """
DROP TRIGGER accounts_user_handle_changed ON accounts_user;
DROP FUNCTION atelier_user_handle_changed();
DROP INDEX accounts_user_handle_trgm;
DROP TRIGGER accounts_profile_search_document ON accounts_profile;
DROP FUNCTION atelier_profile_search_document();
ALTER TABLE accounts_profile DROP COLUMN search_document;
DROP INDEX accounts_profile_display_name_trgm;
DROP INDEX accounts_profile_headline_trgm;
DROP INDEX accounts_profile_skills_trgm;
DROP TRIGGER posts_post_search_document ON posts_post;
DROP FUNCTION atelier_post_search_document();
ALTER TABLE posts_post DROP COLUMN search_document;
DROP INDEX posts_post_title_trgm;
"""


def _run_on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            # Several statements (and $$-quoted bodies) in one go: no parameters, so psycopg sends it as is.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_trigram_extension"),
        ("posts", "0003_engagement_and_discover_score"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(_run_on_postgres(FORWARDS), _run_on_postgres(BACKWARDS))]
