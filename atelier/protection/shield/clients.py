"""Kinds of client, for the protection report: what a User-Agent says it is, never a verdict on
the person behind it (a headless browser that hides its token reads as a browser, and anyone can
send any of these)."""

import re

from atelier.protection.shield.crawlers import matching_crawler
from atelier.protection.shield.models import ClientKind

# Automation that names itself: browsers driven by a program.
_HEADLESS = re.compile(r"headless|phantomjs|puppeteer|playwright|selenium|webdriver|electron/", re.IGNORECASE)
# A bot's product token with its version ("SomeBot/1.0", "ExampleCrawler/2"); not a phone named Cubot.
_BOT = re.compile(r"(?:bot|crawler|spider)/")


def client_kind(user_agent: str) -> str:
    """What kind of client a User-Agent claims to be (its claim: anyone can send any of them)."""
    agent = (user_agent or "").strip()
    if not agent:
        return ClientKind.EMPTY
    if matching_crawler(agent):
        return ClientKind.AI_CRAWLER
    if _HEADLESS.search(agent):
        return ClientKind.HEADLESS
    lowered = agent.lower()
    # Browsers all begin "Mozilla/5.0 (" and name an engine; "(compatible; SomeBot/1.0)" is a bot.
    if lowered.startswith(("mozilla/", "opera/")) and "compatible;" not in lowered and not _BOT.search(lowered):
        return ClientKind.BROWSER
    return ClientKind.LIBRARY
