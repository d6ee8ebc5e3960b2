import os

from django.core.wsgi import get_wsgi_application

from atelier.core.stack_room import with_stack_room

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Each request gets a fresh, roomy frame-stack chunk (CPython 3.11 otherwise maps and unmaps memory
# hundreds of times per page): see atelier.core.stack_room.
application = with_stack_room(get_wsgi_application())
