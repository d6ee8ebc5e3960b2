import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="CrawlerAgent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(help_text="As in robots.txt, e.g. GPTBot.", max_length=60, unique=True)),
                ("operator", models.CharField(blank=True, help_text="Who runs it, for the report.", max_length=80)),
                ("purpose", models.CharField(blank=True, max_length=120)),
                (
                    "refused",
                    models.BooleanField(default=True, help_text="Answer 403 when its User-Agent comes anyway."),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["token"]},
        ),
        migrations.CreateModel(
            name="ProtectionCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                (
                    "rule",
                    models.CharField(
                        choices=[
                            ("ai_crawler", "AI crawler refused"),
                            ("rate_limit", "Too many requests"),
                            ("hotlink", "Hotlinking refused"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "agent",
                    models.CharField(help_text="The crawler token, or the user agent's first word.", max_length=60),
                ),
                (
                    "network",
                    models.CharField(help_text="The caller's /24 (IPv4) or /48 (IPv6) network.", max_length=50),
                ),
                ("count", models.PositiveIntegerField(default=0)),
                (
                    "artist",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["artist", "-day"], name="shield_counts_artist"),
                    models.Index(fields=["-day", "rule"], name="shield_counts_day"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("day", "rule", "agent", "network", "artist"), name="shield_count_once"
                    )
                ],
            },
        ),
    ]
