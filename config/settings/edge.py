"""Settings of the nginx edge (protection.shield.edge, deploy/nginx/), imported by base.py."""

from config.settings.environment import env_bool, env_int, env_list, env_str

# --- The nginx edge (protection.shield.edge, deploy/nginx/): rendered by `manage.py edge_config`, run by
# bin/stack or a distribution's nginx. EDGE_CONFIG_DIR set: admin edits of the crawler list re-render
# its map and reload nginx (EDGE_RELOAD_COMMAND, default `nginx -c DIR/atelier.conf -s reload`).
EDGE_CONFIG_DIR = env_str("EDGE_CONFIG_DIR", "")
EDGE_LISTEN = env_str("EDGE_LISTEN", "127.0.0.1:8480")
EDGE_APP_ADDRESS = env_str("EDGE_APP_ADDRESS", "127.0.0.1:8481")
# Scale-out as configuration: every app-server instance nginx balances over (comma-separated host:port);
# empty, the one EDGE_APP_ADDRESS. Sessions, rate limits, uploads and the scheduler are shared through
# PostgreSQL, Redis and the object store, so any instance may answer any request.
EDGE_APP_ADDRESSES = env_list("EDGE_APP_ADDRESSES", [])
# "$scheme" when nginx terminates TLS itself; "$http_x_forwarded_proto" behind a TLS load balancer.
EDGE_FORWARDED_PROTO = env_str("EDGE_FORWARDED_PROTO", "$scheme")
# Its own master process (bin/stack) or an http-level file included by a distribution's nginx.
EDGE_STANDALONE = env_bool("EDGE_STANDALONE", True)
EDGE_WORKER_PROCESSES = env_str("EDGE_WORKER_PROCESSES", "auto")
# The user nginx's workers run as when its master starts as root (nginx's default then: nobody).
EDGE_USER = env_str("EDGE_USER", "")
EDGE_MIME_TYPES = env_str("EDGE_MIME_TYPES", "/etc/nginx/mime.types")
EDGE_ACCESS_LOG = env_str("EDGE_ACCESS_LOG", "off")
EDGE_NGINX = env_str("EDGE_NGINX", "nginx")
EDGE_RELOAD_COMMAND = env_str("EDGE_RELOAD_COMMAND", "")
# Anonymous public pages are served from the edge for this long: a take-down or unpublish is gone from
# it within this time, and a page read 1,000 times a second costs the app one render per period.
EDGE_PAGE_CACHE_SECONDS = env_int("EDGE_PAGE_CACHE_SECONDS", 5)
# A public file fetched from the object store is kept at the edge this long (a file made private
# stops being served within it).
EDGE_MEDIA_CACHE_SECONDS = env_int("EDGE_MEDIA_CACHE_SECONDS", 60)
EDGE_MEDIA_CACHE_MB = env_int("EDGE_MEDIA_CACHE_MB", 2048)
