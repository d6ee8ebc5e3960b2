"""Render the nginx edge's files (deploy/nginx/ templates) from the production environment."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from atelier.protection.shield import edge


class Command(BaseCommand):
    help = "Render the nginx edge config into EDGE_CONFIG_DIR (or --dir); --reload tells a running nginx."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=settings.EDGE_CONFIG_DIR, help="Where to write (default EDGE_CONFIG_DIR).")
        parser.add_argument("--reload", action="store_true", help="Reload the running nginx afterwards.")

    def handle(self, *args, dir: str, reload: bool, **options):
        if not dir:
            raise CommandError("Set EDGE_CONFIG_DIR or pass --dir.")
        main = edge.edge_config_write(edge_dir=Path(dir))
        self.stdout.write(str(main))
        if reload and not edge.edge_reload():
            raise CommandError("nginx did not reload; see the log above.")
