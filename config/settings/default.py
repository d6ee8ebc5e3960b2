"""The embedded default: SQLite, a local media folder, a filesystem Celery broker, debug on."""

from config.settings.base import *  # noqa: F403
from config.settings.environment import env_bool

DEBUG = env_bool("DEBUG", True)
