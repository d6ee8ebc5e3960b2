from django.apps import AppConfig
from django.db.backends.signals import connection_created

# Word similarity (0–1) a trigram match needs. pg_trgm's default, 0.6, misses common typos:
# "lighthuose" → "lighthouse" scores 0.55.
TRIGRAM_WORD_SIMILARITY_THRESHOLD = 0.4


def _set_trigram_threshold(sender, connection, **kwargs):
    """The `<%` operator (which the trigram indexes answer) reads this per session, so every new
    PostgreSQL connection sets it; pg_trgm picks the value up when it loads."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET pg_trgm.word_similarity_threshold = {TRIGRAM_WORD_SIMILARITY_THRESHOLD}")


class SearchConfig(AppConfig):
    name = "atelier.search"
    label = "search"

    def ready(self):
        connection_created.connect(_set_trigram_threshold, dispatch_uid="atelier.search.trigram_threshold")
