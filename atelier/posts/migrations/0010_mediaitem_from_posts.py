"""MediaItem moved from posts to media (atelier/media/models.py) with its table: see media 0001."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Relations to media items now name media.MediaItem: state only, the table and constraints stay."""

    dependencies = [
        ("cloak", "0002_mediaitem_from_posts"),
        ("detection", "0005_mediaitem_from_posts"),
        ("media", "0001_mediaitem_from_posts"),
        ("posts", "0009_mediaitem_check_stuck"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the table is posts_mediaitem before and after, no row moves.
            state_operations=[
                migrations.AlterField(
                    model_name="post",
                    name="thumbnail_item",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="media.mediaitem",
                    ),
                ),
                migrations.AlterField(
                    model_name="post",
                    name="cover_item",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="media.mediaitem",
                    ),
                ),
                migrations.DeleteModel(
                    name="MediaItem",
                ),
            ],
            database_operations=[],
        ),
    ]
