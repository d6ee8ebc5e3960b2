"""Seed the named AI crawlers from the ai.robots.txt list shipped in shield/data (MIT licence beside
it), and the search engines allowed to index public pages by default.

The 21 crawlers of 0002 were our own seed, not an admin's: they become list rows, so
`update_crawler_list` keeps them current.
"""

from django.db import migrations

from atelier.protection.shield.crawler_list import bundled_crawler_list

# Major web and image search crawlers. Applebot is not among them: the ai.robots.txt list names it
# (Apple may train on what it fetches unless Applebot-Extended is refused); admins can allow it.
# The domains are those each engine documents for verifying its crawler by reverse DNS; DuckDuckGo
# publishes an address list instead, so DuckDuckBot is allowed by robots.txt but not let past the
# browser check until an admin gives it a way to be verified.
SEARCH_ENGINES = [
    ("Googlebot", "Google Search", "googlebot.com, google.com, googleusercontent.com"),
    ("Googlebot-Image", "Google Images", "googlebot.com, google.com, googleusercontent.com"),
    ("Bingbot", "Bing", "search.msn.com"),
    ("DuckDuckBot", "DuckDuckGo", ""),
    ("YandexBot", "Yandex", "yandex.ru, yandex.net, yandex.com"),
    ("YandexImages", "Yandex Images", "yandex.ru, yandex.net, yandex.com"),
    ("Qwantbot", "Qwant", "qwant.com"),
]


def seed(apps, schema_editor):
    CrawlerAgent = apps.get_model("shield", "CrawlerAgent")
    SearchEngineAgent = apps.get_model("shield", "SearchEngineAgent")
    CrawlerAgent.objects.update(source="list")
    known = set(CrawlerAgent.objects.values_list("token", flat=True))
    for crawler in bundled_crawler_list():
        if crawler.token not in known:
            CrawlerAgent.objects.create(
                token=crawler.token, operator=crawler.operator, purpose=crawler.purpose, source="list"
            )
            known.add(crawler.token)
    for token, name, hostnames in SEARCH_ENGINES:
        SearchEngineAgent.objects.get_or_create(token=token, defaults={"name": name, "hostnames": hostnames})


def unseed(apps, schema_editor):
    apps.get_model("shield", "SearchEngineAgent").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("shield", "0003_crawler_sources_and_search_engines")]

    operations = [migrations.RunPython(seed, unseed)]
