"""MediaItem moves from posts to media with its table (posts_mediaitem): the model's state changes
app, no row moves. posts 0010, detection 0005 and cloak 0002 point their relations at media.MediaItem
(state only too) and posts forgets the model."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    """Permissions and admin history of media items keep their content type under its new app label."""
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    if not rows.filter(app_label=target, model="mediaitem").exists():
        rows.filter(app_label=source, model="mediaitem").update(app_label=target)


def content_type_to_media(apps, schema_editor):
    _move_content_type(apps, schema_editor, "posts", "media")


def content_type_to_posts(apps, schema_editor):
    _move_content_type(apps, schema_editor, "media", "posts")


class Migration(migrations.Migration):
    """The model MediaItem, until now posts.MediaItem, in this app's state; its table stays posts_mediaitem."""

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("posts", "0009_mediaitem_check_stuck"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the table is posts_mediaitem before and after, no row moves.
            state_operations=[
                migrations.CreateModel(
                    name="MediaItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("image", "Image"),
                                    ("animation", "Animated GIF"),
                                    ("video", "Video"),
                                    ("embed", "Embed"),
                                ],
                                max_length=10,
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("uploaded", "Uploaded"),
                                    ("processing", "Processing"),
                                    ("ready", "Ready"),
                                    ("failed", "Failed"),
                                ],
                                default="uploaded",
                                max_length=12,
                            ),
                        ),
                        (
                            "ai_check",
                            models.CharField(
                                choices=[
                                    ("pending", "Being checked"),
                                    ("pass", "No sign of AI generation"),
                                    ("review", "Cleared by a moderator"),
                                    ("hold", "Held"),
                                    ("error", "Could not be checked yet"),
                                    ("stuck", "Could not be checked"),
                                ],
                                default="pending",
                                max_length=8,
                            ),
                        ),
                        ("said_ai", models.BooleanField(default=False)),
                        ("check_reason", models.TextField(blank=True)),
                        ("failure_reason", models.CharField(blank=True, max_length=300)),
                        ("progress", models.FloatField(default=0)),
                        ("alt_text", models.CharField(blank=True, max_length=500)),
                        ("original_name", models.CharField(blank=True, max_length=255)),
                        ("original_format", models.CharField(blank=True, max_length=20)),
                        ("public_source_name", models.CharField(blank=True, max_length=255)),
                        ("original_bytes", models.PositiveBigIntegerField(default=0)),
                        ("width", models.PositiveIntegerField(default=0)),
                        ("height", models.PositiveIntegerField(default=0)),
                        ("duration_seconds", models.FloatField(blank=True, null=True)),
                        ("renditions", models.JSONField(blank=True, default=dict)),
                        ("embed", models.JSONField(blank=True, null=True)),
                        ("version", models.PositiveIntegerField(default=1)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "post",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="items", to="posts.post"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "posts_mediaitem",
                        "ordering": ["position", "pk"],
                        "indexes": [models.Index(fields=["post", "position"], name="posts_item_order")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_media, content_type_to_posts),
    ]
