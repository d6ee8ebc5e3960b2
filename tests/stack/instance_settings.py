"""Settings of the app-server instances the scale-out tests start: the test settings, with the one
thing every instance of a real deployment shares and the test settings make random per process,
the SECRET_KEY (sessions' auth hashes, signed URLs and passes must verify on any instance)."""

import os

from config.settings.test import *  # noqa: F403

SECRET_KEY = os.environ["SCALE_OUT_SECRET_KEY"]
UPLOAD_CREATIONS_PER_HOUR = int(os.environ.get("UPLOAD_CREATIONS_PER_HOUR", "300"))
