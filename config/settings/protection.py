"""Settings of the protections (anti-scraping budgets and the browser check, Content Credentials, AI
detection and its sweep, the style cloak), imported by base.py. Kept apart so base.py stays readable;
every value is still chosen by an environment variable, the same in every configuration."""

import importlib.util

from config.settings.environment import env_bool, env_float, env_int, env_list, env_str

# --- Anti-scraping budgets per minute (protection.shield.gate). A feed page with all its images is
# about 60 requests, so people browsing never come near them; a scraper pulling files does.
SHIELD_PAGES_PER_MINUTE = env_int("SHIELD_PAGES_PER_MINUTE", 240)
SHIELD_ACCOUNT_PAGES_PER_MINUTE = env_int("SHIELD_ACCOUNT_PAGES_PER_MINUTE", 240)
SHIELD_MEDIA_PER_MINUTE = env_int("SHIELD_MEDIA_PER_MINUTE", 1200)
SHIELD_ACCOUNT_MEDIA_PER_MINUTE = env_int("SHIELD_ACCOUNT_MEDIA_PER_MINUTE", 1200)
# The browser check (protection.shield.checkpoint): leading zero bits of SHA-256 a browser must find
# once per pass (16: ~65,000 hashes on average; 0 turns the check off), how long a pass lasts, the
# files one pass may fetch a minute (a feed page and its images are ~30), and the secret the app
# shares with the edge to sign passes.
SHIELD_CHALLENGE_BITS = env_int("SHIELD_CHALLENGE_BITS", 16)
SHIELD_PASS_SECONDS = env_int("SHIELD_PASS_SECONDS", 86400)
SHIELD_PASS_MEDIA_PER_MINUTE = env_int("SHIELD_PASS_MEDIA_PER_MINUTE", 600)
# Passes one address may earn an hour: everyone behind a shared address gets hers, while a scraper
# can't multiply its budget by solving hundreds of puzzles from one address.
SHIELD_PASSES_PER_HOUR = env_int("SHIELD_PASSES_PER_HOUR", 120)
SHIELD_EDGE_SECRET = env_str("SHIELD_EDGE_SECRET", "")
# How long a process trusts its copy of the refused-crawler list (admin edits reach all within this).
SHIELD_CRAWLER_LIST_LOCAL_SECONDS = env_int("SHIELD_CRAWLER_LIST_LOCAL_SECONDS", 15)
# Public media URLs are signed for a window of this many seconds (valid this window and the next).
SHIELD_MEDIA_URL_WINDOW_SECONDS = env_int("SHIELD_MEDIA_URL_WINDOW_SECONDS", 86400)
# C2PA Content Credentials in renditions (media.content_credentials): the instance's
# certificate chain and key as PEM files; unset, a self-signed pair is made in var/c2pa/.
C2PA_CONTENT_CREDENTIALS = env_bool("C2PA_CONTENT_CREDENTIALS", True)
C2PA_SIGNING_CERT = env_str("C2PA_SIGNING_CERT", "")
C2PA_SIGNING_KEY = env_str("C2PA_SIGNING_KEY", "")
# A detection run that crashes, times out or cannot read a gating signal is tried again after 30 s,
# doubling up to 30 min, this many times; the post stays private meanwhile (never published by default).
DETECTION_RETRIES = env_int("DETECTION_RETRIES", 8)
DETECTION_RETRY_FIRST_SECONDS = env_int("DETECTION_RETRY_FIRST_SECONDS", 30)
DETECTION_RETRY_MAX_SECONDS = env_int("DETECTION_RETRY_MAX_SECONDS", 1800)
# The sweep for checks nobody runs any more (protection.detection.sweep): a check of a checking post
# not heard of for STALE seconds (longer than the longest retry wait plus a try's time limit, so a
# live retry chain is never doubled) is queued again, REQUEUES times; then it is `stuck` (author told,
# a moderator's case opened) and queued again every STUCK seconds.
DETECTION_SWEEP_EVERY_SECONDS = env_int("DETECTION_SWEEP_EVERY_SECONDS", 300)
DETECTION_SWEEP_STALE_SECONDS = env_int("DETECTION_SWEEP_STALE_SECONDS", 2700)
DETECTION_SWEEP_REQUEUES = env_int("DETECTION_SWEEP_REQUEUES", 3)
DETECTION_SWEEP_STUCK_SECONDS = env_int("DETECTION_SWEEP_STUCK_SECONDS", 6 * 3600)
# A new upload's renditions and AI detection run in one task on the media pool, from one decode of the
# original (detection.one_pass); the detection pool keeps the retries and the sweep's re-runs. Measured
# on the surge (bench/results/surge_one_pass*.json against surge.json's two pools, same base rate): one
# pool has no second queue to wait in, renditions are signed as they are made (no re-signing once the
# verdict lands), and upload to public went from p95 107 s to 82 s, the backlog draining in 60 s, not
# 240. Each media process then holds the classifier: about 224 MB more memory. Off: separate pools, so
# a slow detector never delays renditions (neither publishes without the other anyway).
MEDIA_DETECTION_ONE_PASS = env_bool("MEDIA_DETECTION_ONE_PASS", True)
# The CLIP classifier scores at which a new site's detection policy hides work / queues it for review;
# moderators tune them afterwards in the admin (protection.detection.models.DetectionPolicy).
# Chosen in bench/detection_eval.py (review_load): at 0.998 no human image of 1,237 was hidden (95 %
# upper bound 0.24 %, every kind of work under 1 %); between 0.99 and it 1.4 % are queued, still visible.
DETECTION_CLASSIFIER_THRESHOLD = env_float("DETECTION_CLASSIFIER_THRESHOLD", 0.998)  # hides work
DETECTION_CLASSIFIER_REVIEW_THRESHOLD = env_float("DETECTION_CLASSIFIER_REVIEW_THRESHOLD", 0.99)  # queues it
# Hive's AI-generated content detection (protection.detection.hive): off unless a key is set. v3 is
# POST /api/v3/hive/ai-generated-and-deepfake-content-detection (Bearer), v2 POST /api/v2/task/sync (Token).
HIVE_API_KEY = env_str("HIVE_API_KEY", "")
HIVE_API_VERSION = env_str("HIVE_API_VERSION", "v3")
HIVE_API_URL = env_str("HIVE_API_URL", "")
HIVE_TIMEOUT_SECONDS = env_int("HIVE_TIMEOUT_SECONDS", 20)
HIVE_RETRIES = env_int("HIVE_RETRIES", 2)
# Networks beyond the public internet that outbound requests may reach (core/outbound.py), e.g. an
# internal proxy in front of a detector (comma-separated CIDRs); cloud metadata addresses stay refused.
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", [])
# Style cloak (protection.cloak): the cloak is computed at most at this long side (public renditions
# are made from it, so they are no larger), within this time per image; an estimate of seconds per
# 512 px tile (bench/results/cloak_eval.json) gives the artist an ETA before the first step.
CLOAK_MAX_LONG_SIDE = env_int("CLOAK_MAX_LONG_SIDE", 2048)
CLOAK_TIME_LIMIT_SECONDS = env_int("CLOAK_TIME_LIMIT_SECONDS", 3 * 3600)
CLOAK_SECONDS_PER_TILE = env_int("CLOAK_SECONDS_PER_TILE", 60)
CLOAK_MAX_ATTEMPTS = env_int("CLOAK_MAX_ATTEMPTS", 3)
# Whether this instance runs the cloak worker (requirements/cloak.lock: torch, which PyPI does not serve
# in its CPU build). bin/serve and bin/stack set it from what they installed; a web tier without torch
# in front of a separate cloak worker sets it to true. Off, the composer says the cloak is unavailable.
CLOAK_AVAILABLE = env_bool("CLOAK_AVAILABLE", importlib.util.find_spec("torch") is not None)
# Fraction of each strength's optimisation steps to run: below 1 trades effect for time on slow machines.
CLOAK_STEP_SCALE = env_float("CLOAK_STEP_SCALE", 1.0)
# Hotlink protection: when set, media may only be embedded by these hosts (and our own).
SHIELD_HOTLINK_ALLOWED_HOSTS = [host.lower() for host in env_list("SHIELD_HOTLINK_ALLOWED_HOSTS", [])]
