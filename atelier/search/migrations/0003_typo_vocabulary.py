"""The typo vocabulary on PostgreSQL (a no-op on any other database).

A typo ("lighthuose") used to be matched by trigram word similarity against every public title:
on 1M posts the GIN index hands back every title sharing trigrams with it and each is rechecked,
p95 56–84 ms (bench/feeds.py). Titles and descriptions are written with a few thousand distinct
words, so the typo is now corrected against those words instead: `search_word` holds each word of
a public post once (unstemmed, lower case, as the 'simple' configuration splits it), with a trigram
GIN index; `search.vocabulary` finds the close words for the query's unknown ones, and the search
itself stays a full-text search (answered by `posts_post_search_document_gin`).

Words enter when a post is public (a draft's words are never suggested) and are never removed: a
word no visible post still uses only costs an empty branch. Words without a letter (numbers) and
very long ones are left out, as no one misspells them into a search box.
"""

from django.db import migrations

WORDS_OF = """
    SELECT word FROM unnest(tsvector_to_array(to_tsvector('simple',
        coalesce({row}.title, '') || ' ' || coalesce({row}.description, '')))) AS word
    WHERE length(word) BETWEEN 3 AND 40 AND word ~ '[[:alpha:]]'
"""

# Built from the constants above only (no input), hence the S608 waiver.
FORWARDS = f"""
-- Nothing asks titles for look-alikes any more: the typo path reads search_word.
DROP INDEX posts_post_title_trgm;
CREATE TABLE search_word (word text PRIMARY KEY);
CREATE INDEX search_word_trgm ON search_word USING gin (word gin_trgm_ops);
CREATE FUNCTION atelier_post_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_word (word) {WORDS_OF.format(row="NEW")} ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER posts_post_words AFTER INSERT OR UPDATE OF title, description, state ON posts_post
    FOR EACH ROW WHEN (NEW.state = 'public') EXECUTE FUNCTION atelier_post_words();
"""
# Also run by bench/feeds_seed_search.py after its bulk load (triggers do not fire in replica mode).
BACKFILL = f"""
INSERT INTO search_word (word)
    SELECT DISTINCT words.word FROM posts_post CROSS JOIN LATERAL ({WORDS_OF.format(row="posts_post")}) AS words
    WHERE posts_post.state = 'public'
    ON CONFLICT DO NOTHING;
ANALYZE search_word;
"""  # noqa: S608

BACKWARDS = """
DROP TRIGGER posts_post_words ON posts_post;
DROP FUNCTION atelier_post_words();
DROP TABLE search_word;
CREATE INDEX posts_post_title_trgm ON posts_post USING gin (title gin_trgm_ops);
"""


def _run_on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_indexed_search_documents"),
        ("posts", "0008_post_state_machine"),
    ]

    operations = [migrations.RunPython(_run_on_postgres(FORWARDS + BACKFILL), _run_on_postgres(BACKWARDS))]
