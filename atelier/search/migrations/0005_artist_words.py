"""Artists' words join the typo vocabulary (PostgreSQL only; a no-op elsewhere).

Artist search matched typos with trigram word similarity over display names, headlines, skills and
handles, four trigram branches over every profile (at 100k people, an artist's typo cost more than
the page's goal). Their words now enter `search_word` (migration 0003) like the words of public
posts, so a typo is corrected once against the word list and the profiles are then found by their
stored document. The four trigram indexes nothing reads any more are dropped (and rebuilt when
this migration is reversed; the words it added stay in the list, which 0003's reversal drops).
"""

from django.db import migrations

WORDS_OF = """
    SELECT word FROM unnest(tsvector_to_array(to_tsvector('simple', {text}))) AS word
    WHERE length(word) BETWEEN 3 AND 40 AND word ~ '[[:alpha:]]'
"""
PROFILE_TEXT = "coalesce({row}.display_name, '') || ' ' || coalesce({row}.headline, '') || ' ' || {row}.skills::text"

FORWARDS = f"""
DROP INDEX accounts_profile_display_name_trgm;
DROP INDEX accounts_profile_headline_trgm;
DROP INDEX accounts_profile_skills_trgm;
DROP INDEX accounts_user_handle_trgm;
CREATE FUNCTION atelier_profile_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_word (word) {WORDS_OF.format(text=PROFILE_TEXT.format(row="NEW"))} ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_profile_words AFTER INSERT OR UPDATE OF display_name, headline, skills
    ON accounts_profile FOR EACH ROW EXECUTE FUNCTION atelier_profile_words();
CREATE FUNCTION atelier_handle_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_word (word) {WORDS_OF.format(text="NEW.handle")} ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER accounts_user_handle_words AFTER INSERT OR UPDATE OF handle
    ON accounts_user FOR EACH ROW EXECUTE FUNCTION atelier_handle_words();
"""
# Also run by bench/feeds_seed_search.py after its bulk load (triggers do not fire in replica mode).
BACKFILL = f"""
INSERT INTO search_word (word)
    SELECT DISTINCT words.word FROM accounts_profile
    CROSS JOIN LATERAL ({WORDS_OF.format(text=PROFILE_TEXT.format(row="accounts_profile"))}) AS words
    ON CONFLICT DO NOTHING;
INSERT INTO search_word (word)
    SELECT DISTINCT words.word FROM accounts_user
    CROSS JOIN LATERAL ({WORDS_OF.format(text="accounts_user.handle")}) AS words
    ON CONFLICT DO NOTHING;
ANALYZE search_word;
"""  # noqa: S608 - built from the constants above

BACKWARDS = """
DROP TRIGGER accounts_user_handle_words ON accounts_user;
DROP FUNCTION atelier_handle_words();
DROP TRIGGER accounts_profile_words ON accounts_profile;
DROP FUNCTION atelier_profile_words();
CREATE INDEX accounts_profile_display_name_trgm ON accounts_profile USING gin (display_name gin_trgm_ops);
CREATE INDEX accounts_profile_headline_trgm ON accounts_profile USING gin (headline gin_trgm_ops);
CREATE INDEX accounts_profile_skills_trgm ON accounts_profile USING gin ((skills::text) gin_trgm_ops);
CREATE INDEX accounts_user_handle_trgm ON accounts_user USING gin (handle gin_trgm_ops);
"""


def _run_on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_tagged_newest_first"), ("accounts", "0001_initial")]

    operations = [migrations.RunPython(_run_on_postgres(FORWARDS + BACKFILL), _run_on_postgres(BACKWARDS))]
