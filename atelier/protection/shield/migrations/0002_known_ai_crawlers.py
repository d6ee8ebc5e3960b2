"""The AI crawlers and dataset tools refused from the start; admins edit the list afterwards."""

from django.db import migrations

KNOWN = [
    ("GPTBot", "OpenAI", "Training data"),
    ("ChatGPT-User", "OpenAI", "Fetches for ChatGPT answers"),
    ("OAI-SearchBot", "OpenAI", "AI search index"),
    ("CCBot", "Common Crawl", "Open crawl used to train models"),
    ("Google-Extended", "Google", "Gemini training (robots.txt token only)"),
    ("ClaudeBot", "Anthropic", "Training data"),
    ("Claude-Web", "Anthropic", "Fetches for Claude"),
    ("anthropic-ai", "Anthropic", "Training data"),
    ("Bytespider", "ByteDance", "Training data"),
    ("PerplexityBot", "Perplexity", "AI search index"),
    ("Applebot-Extended", "Apple", "Apple Intelligence training (robots.txt token only)"),
    ("Meta-ExternalAgent", "Meta", "Training data"),
    ("meta-externalagent", "Meta", "Training data (lower-case spelling)"),
    ("FacebookBot", "Meta", "Training data for speech and language models"),
    ("cohere-ai", "Cohere", "Training data"),
    ("Amazonbot", "Amazon", "Alexa and model training"),
    ("Diffbot", "Diffbot", "Knowledge graph for AI"),
    ("img2dataset", "LAION tooling", "Image dataset downloader"),
    ("ImagesiftBot", "ImageSift", "Image scraping"),
    ("Timpibot", "Timpi", "AI index"),
    ("omgili", "Webz.io", "Data sold for AI training"),
]


def add(apps, schema_editor):
    CrawlerAgent = apps.get_model("shield", "CrawlerAgent")
    for token, operator, purpose in KNOWN:
        CrawlerAgent.objects.get_or_create(token=token, defaults={"operator": operator, "purpose": purpose})


def remove(apps, schema_editor):
    apps.get_model("shield", "CrawlerAgent").objects.filter(token__in=[token for token, _, _ in KNOWN]).delete()


class Migration(migrations.Migration):
    dependencies = [("shield", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
