"""MediaItem moved from posts to media (atelier/media/models.py) with its table: see media 0001."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Relations to media items now name media.MediaItem: state only, the table and constraints stay."""

    dependencies = [
        ("detection", "0004_checkrun"),
        ("media", "0001_mediaitem_from_posts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # State only: the table is posts_mediaitem before and after, no row moves.
            state_operations=[
                migrations.AlterField(
                    model_name="checkrun",
                    name="item",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="media.mediaitem"
                    ),
                ),
                migrations.AlterField(
                    model_name="itemembedding",
                    name="item",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="media.mediaitem",
                    ),
                ),
                migrations.AlterField(
                    model_name="itemverdict",
                    name="item",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="detection_verdict",
                        to="media.mediaitem",
                    ),
                ),
                migrations.AlterField(
                    model_name="signalevidence",
                    name="item",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="detection_evidence",
                        to="media.mediaitem",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
