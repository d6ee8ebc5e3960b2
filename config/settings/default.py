"""The embedded default: SQLite, a local media folder, a filesystem Celery broker.

Debug is off like production, so a missing page shows the site's own 404 and never the URL list;
`bin/serve --dev` sets DEBUG=true (with autoreload) for development.
"""

from config.settings.base import *  # noqa: F403
from config.settings.environment import env_bool

DEBUG = env_bool("DEBUG", False)
