"""The embedded default: SQLite, a local media folder, a filesystem Celery broker.

Debug is off like production, so a missing page shows the site's own 404 and never the URL list;
`bin/serve --dev` sets DEBUG=true (with autoreload) for development.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR
from config.settings.environment import env_bool
from config.settings.secret_key import embedded_secret_key

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = embedded_secret_key(VAR_DIR)  # random, made on first run in var/ (mode 0600)

# bin/serve runs one Celery worker for the media and detection queues: decode each upload once.
MEDIA_DETECTION_ONE_PASS = env_bool("MEDIA_DETECTION_ONE_PASS", True)
