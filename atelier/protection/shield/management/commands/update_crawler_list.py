"""Refresh the named AI crawlers from the ai.robots.txt project's published list.

Admins' own rows and edits are left alone (see shield.crawler_list). Run it from cron or by hand;
`--file` reads a downloaded copy instead (an instance without outbound network)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from atelier.protection.shield.crawler_list import (
    PUBLISHED_LIST_URL,
    CrawlerListError,
    fetch_crawler_list,
    parse_crawler_list,
    sync_crawler_list,
)


class Command(BaseCommand):
    help = "Refresh the AI crawler list (robots.txt and the 403 list) from the ai.robots.txt project."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=PUBLISHED_LIST_URL, help="Where the list's robots.json is published.")
        parser.add_argument("--file", type=Path, help="Read the list from this file instead of downloading it.")

    def handle(self, *args, url, file, **options):
        try:
            crawlers = parse_crawler_list(file.read_bytes()) if file else fetch_crawler_list(url)
        except (CrawlerListError, OSError) as error:
            raise CommandError(f"Crawler list not updated: {error}") from error
        result = sync_crawler_list(crawlers)
        self.stdout.write(
            f"{len(crawlers)} crawlers in the list: {result.added} added, {result.updated} updated, "
            f"{result.kept_admin_rows} left as admins set them."
        )
