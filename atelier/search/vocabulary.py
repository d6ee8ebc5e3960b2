"""Typo correction against the words public posts and profiles use (PostgreSQL only: `search_word`,
migrations 0003 and 0005).

Why a word list: a trigram match of the query against 1M titles rechecks every title that shares
trigrams with it (the slowest search, p95 56–84 ms at full scale); the words those titles are written
with are a few thousand, so correcting each unknown query word against them takes a millisecond,
and the corrected words are then looked up by full-text search like any other word.

Only words the list does not know are corrected, so a common word is never buried in look-alikes,
and a query that quotes, excludes or ORs words is never corrected (it says exactly what it wants).
"""

from dataclasses import dataclass

from django.db import connection

# Close words kept per unknown word, and unknown words corrected per query: the typo branch is one
# more full-text search whose query stays small whatever is typed.
CORRECTIONS_PER_WORD = 3
MAX_CORRECTED_WORDS = 4
# Query words looked at (after the 'simple' split): the rest of a very long query is ignored by the
# typo branch only; the exact search still reads it whole.
MAX_WORDS = 12

# `%` is pg_trgm's similarity operator (threshold pg_trgm.similarity_threshold, 0.3 by default:
# "lighthuose" → "lighthouse" is 0.47), answered by search_word_trgm. Known words, short words and
# words without a letter are kept as typed (the list leaves those out, see migration 0003). A tag's
# name is a known word too: search finds its posts by the tag ("watercolor" was being corrected to
# "watercolour" from an artist's headline, a second search branch and a trigram lookup for nothing).
_SQL = f"""
WITH asked AS (
    SELECT asked.word, asked.position,
        length(asked.word) < 3 OR length(asked.word) > 40 OR asked.word !~ '[[:alpha:]]'
        OR EXISTS (SELECT 1 FROM search_word known WHERE known.word = asked.word)
        OR EXISTS (SELECT 1 FROM posts_tag tag WHERE tag.name = asked.word) AS kept
    FROM unnest(tsvector_to_array(to_tsvector('simple', %s))) WITH ORDINALITY AS asked (word, position)
    ORDER BY asked.position LIMIT {MAX_WORDS}
), unknown AS (
    SELECT word, position FROM asked WHERE NOT kept ORDER BY position LIMIT {MAX_CORRECTED_WORDS}
)
SELECT asked.word, asked.kept, close.word FROM asked
LEFT JOIN unknown USING (word)
LEFT JOIN LATERAL (
    SELECT candidate.word FROM search_word candidate
    WHERE unknown.word IS NOT NULL AND candidate.word %% unknown.word
    ORDER BY similarity(candidate.word, unknown.word) DESC, candidate.word
    LIMIT {CORRECTIONS_PER_WORD}
) AS close ON true
ORDER BY asked.position, similarity(close.word, asked.word) DESC NULLS LAST, close.word
"""  # noqa: S608 - built from the integer constants above; the query is a parameter


@dataclass(frozen=True)
class Correction:
    """The query's words, each with the words to look for in its place: itself when it is known
    (or too short to correct), its close words when it is a typo; a typo with no close word is
    left out (as a trigram match of the whole query would ignore it)."""

    groups: tuple[tuple[str, ...], ...]


def correct(query: str) -> Correction | None:
    """Close words for the unknown words of `query`, or None when every word is known (or none has a
    close word): then there is nothing to correct and search needs no typo branch."""
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [query])
        rows = cursor.fetchall()
    groups: dict[str, list[str]] = {}
    corrected = False
    for word, kept, close in rows:
        group = groups.setdefault(word, [word] if kept else [])
        if close is not None:
            group.append(close)
            corrected = True
    kept_groups = tuple(tuple(group) for group in groups.values() if group)
    if not corrected or not kept_groups:
        return None
    return Correction(kept_groups)
