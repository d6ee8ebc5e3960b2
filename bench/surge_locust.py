"""The locustfile of bench/surge.py: anonymous visitors, signed-in readers, newcomers, artists.

Run by bench/surge.py (`locust -f bench/surge_locust.py --headless …`) with SURGE_PLAN (what
bench/surge_seed.py wrote: sessions, handles, posts, passes) and SURGE_RUN (rate, surge schedule,
people per class, where to log). Every simulated person is a browser: a browser User-Agent, the
day's pass cookie, and its own loopback address (127.a.b.1, one /24 each) so the site's budgets and
passes see many people, not one load generator. The people are locust's FastHttpUser
(geventhttpclient, a C HTTP parser): with requests' HttpUser the load generator spent ~12.8 ms of CPU
per anonymous page on the same two cores the stack serves from. Each request is logged as one line (time, name,
ms, status, outcome) for the orchestrator, which computes percentiles over time; 429s are refusals
by the anti-scraping budgets, counted apart from errors.
"""

import html
import json
import os
import random
import re
import time
import uuid
from itertools import count
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from geventhttpclient.client import HTTPClient, HTTPClientPool
from geventhttpclient.connectionpool import ConnectionPool
from geventhttpclient.url import URL
from locust import events, task
from locust.contrib.fasthttp import FastHttpUser
from requests.cookies import create_cookie

from bench.surge_mailbox import Mailbox
from bench.surge_mix import ANONYMOUS_PAGES, IMAGES_PER_PAGE, SEARCH_WORDS, SIGNED_IN_PAGES, Mix, surge_factor
from bench.surge_pictures import HEIGHT, WIDTHS, distinct_picture, pooled_picture

PLAN = json.loads(Path(os.environ["SURGE_PLAN"]).read_text())["plan"] if os.environ.get("SURGE_PLAN") else {}
RUN = json.loads(os.environ.get("SURGE_RUN", "{}"))
MIX = Mix(**RUN.get("mix", {}))
STARTED = time.time()
AGENT = PLAN.get("user_agent", "Mozilla/5.0")
MEDIA_SRC = re.compile(r'src="(/media/[^"]+)"')
TICK_SECONDS = 0.25
_addresses = iter(PLAN.get("addresses", []))
_log = open(RUN["log"], "a", buffering=1) if RUN.get("log") else None  # noqa: SIM115 - lives with the process
# The URL of every failed request (time, name, status, URL): which images answered 404, and why.
_failures = open(RUN["log"] + ".errors", "a", buffering=1) if RUN.get("log") else None  # noqa: SIM115


@events.request.add_listener
def log_request(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", 0) or 0
    outcome = "refused" if status == 429 else "error" if exception is not None or status >= 400 else "ok"
    if _log:
        _log.write(f"{time.time():.3f},{name},{response_time:.1f},{status},{outcome},{response_length or 0}\n")
    if _failures and outcome == "error" and request_type != "JOURNEY":
        _failures.write(f"{time.time():.3f} {name} {status} {kwargs.get('url', '')}\n")


def journey(name: str, seconds: float, failure: str = "") -> None:
    """A whole journey's time (upload to public, sign-up to confirmed) as its own line in the log."""
    events.request.fire(
        request_type="JOURNEY", name=name, response_time=seconds * 1000, response_length=0,
        response=None, exception=RuntimeError(failure) if failure else None, context={},
    )  # fmt: skip


def class_rate(kind: str) -> float:
    factor = surge_factor(RUN.get("surge", []), time.time() - STARTED)
    return MIX.rates(RUN.get("rate", 1.0), factor)[kind]


class SourceBoundConnections(ConnectionPool):
    """geventhttpclient's connections to one server, each socket bound to one loopback address: this
    person's network, as the site sees it. `_create_tcp_socket` is the pool's socket factory hook."""

    def __init__(self, *args, source: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def _create_tcp_socket(self, family, socktype, protocol):
        sock = super()._create_tcp_socket(family, socktype, protocol)
        sock.bind((self.source, 0))
        return sock


class SourceClients(HTTPClientPool):
    """The client pool of one person's browser: every client connects from `source`. HTTPClient takes
    no pool class, so its plain pool (not yet connected) is replaced right after it is made; the
    attribute is geventhttpclient's (pinned in requirements/stack.lock)."""

    def __init__(self, source: str, **client_args):
        super().__init__(**client_args)
        self.source = source

    def get_client(self, url) -> HTTPClient:
        url = url if isinstance(url, URL) else URL(url)
        key = url.host, url.port
        if key not in self.clients:
            client = HTTPClient.from_url(url, **self.client_args)
            plain = client._connection_pool
            client._connection_pool = SourceBoundConnections(
                client.host, client.port, client.host, client.port, size=plain.size, source=self.source,
                connection_timeout=plain.connection_timeout, network_timeout=plain.network_timeout,
            )  # fmt: skip
            plain.close()
            self.clients[key] = client
        return self.clients[key]


def location(response) -> str:
    """Where a redirect points; "" for no redirect or no answer at all (a refused connection)."""
    return (response.headers or {}).get("Location", "")


class Person(FastHttpUser):
    abstract = True
    kind = ""
    network_timeout = connection_timeout = 60.0
    concurrency = 2  # a browser's connections to one site, at most (as with requests' pool before)

    def wait_time(self):
        return TICK_SECONDS

    def on_start(self):
        self.credit, self.last = random.random(), time.time()  # noqa: S311 - staggered starts
        self.become(next(_addresses))

    @task
    def tick(self):
        """Open pacing by credit: each person earns rate/users iterations a second and starts one
        whenever a whole one is earned, so the class keeps its rate whatever the server's latency
        (up to its head count) and the surge's factor applies from the next tick."""
        now = time.time()
        earned = class_rate(self.kind) / (type(self).fixed_count or 1) * (now - self.last)
        self.credit, self.last = min(2.0, self.credit + earned), now
        if self.credit >= 1.0:
            self.credit -= 1.0
            self.iteration()

    def iteration(self):
        raise NotImplementedError

    def become(self, address: str) -> None:
        """A browser on `address`: its own connections, no cookies but the pass for that network."""
        agent = self.client.client
        previous, agent.clientpool = agent.clientpool, SourceClients(address, **agent.clientpool.client_args)
        previous.close()
        self.client.cookiejar.clear()
        self.set_cookie("atelier_pass", PLAN["passes"][address])

    def set_cookie(self, name: str, value: str) -> None:
        """As the site would set it: host-only for the host driven, path /."""
        self.client.cookiejar.set_cookie(create_cookie(name, value, domain=urlsplit(self.host).hostname, path="/"))

    def call(self, method: str, path: str, name: str, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        headers = {"User-Agent": AGENT, "Accept": "text/html", **kwargs.pop("headers", {})}
        response = self.client.request(method, path, name=name, headers=headers, **kwargs)
        for stored in self.client.cookiejar:  # production cookies are Secure; this loopback run is plain HTTP
            stored.secure = False
        return response

    def cookie_value(self, name: str) -> str:
        return next((stored.value for stored in self.client.cookiejar if stored.name == name), "")

    def csrf_headers(self) -> dict:
        return {"X-CSRFToken": self.cookie_value("csrftoken"), "Referer": self.host + "/"}

    def images(self, response) -> None:
        if response.status_code != 200:
            return
        sources = list(dict.fromkeys(MEDIA_SRC.findall(response.text or "")))[:IMAGES_PER_PAGE]
        for source in sources:
            self.call("GET", html.unescape(source), "image", headers={"Accept": "image/webp,*/*"})


def popular(items: list, skew: float = 1.1):
    """A power-law pick: the first items (the popular artists and posts) come up most."""
    return items[min(len(items) - 1, int(random.paretovariate(skew)) - 1)]


def weighted(weights: dict[str, int]) -> str:
    return random.choices(list(weights), weights=list(weights.values()))[0]  # noqa: S311


class AnonymousVisitor(Person):
    kind = "anonymous"
    fixed_count = RUN.get("users", {}).get("anonymous", 1)

    def iteration(self):  # visit
        page = weighted(ANONYMOUS_PAGES)
        path = {
            "front": "/",
            "discover": "/feed/discover/",
            "profile": f"/@{popular(PLAN['handles'])}",
            "post": f"/posts/{popular(PLAN['post_ids'], 0.8)}/",
            "search": f"/search/?q={random.choice(SEARCH_WORDS)}&type=posts",  # noqa: S311
        }[page]
        self.images(self.call("GET", path, f"anon:{page}", allow_redirects=True))


class SignedInReader(Person):
    kind = "signed_in"
    fixed_count = RUN.get("users", {}).get("signed_in", 1)

    def on_start(self):
        super().on_start()
        me = PLAN["readers"][next(_readers) % len(PLAN["readers"])]
        self.set_cookie(PLAN["session_cookie"], me["session"])
        self.call("GET", "/feed/following/", "in:following")

    def iteration(self):  # read_or_act
        page = weighted(SIGNED_IN_PAGES)
        post = popular(PLAN["post_ids"], 0.8)
        if page == "following":
            self.images(self.call("GET", "/feed/following/", "in:following"))
        elif page == "home":
            self.images(self.call("GET", "/", "in:home"))
        elif page == "notifications":
            self.call("GET", "/notifications/", "in:notifications")
        elif page == "like":
            self.call("POST", f"/posts/{post}/like", "in:like", headers=self.csrf_headers())
        elif page == "comment":
            data = {"body": f"Wonderful light {uuid.uuid4().hex[:6]}"}
            self.call("POST", f"/posts/{post}/comments", "in:comment", data=data, headers=self.csrf_headers())
        else:
            path = f"/@{random.choice(PLAN['handles'])}/follow"  # noqa: S311
            self.call("POST", path, "in:follow", headers=self.csrf_headers())


class Newcomer(Person):
    """Signs up, waits for the mail, confirms through its link, lands signed in. A new address each
    time: sign-ups are budgeted per address, and each newcomer is someone else."""

    kind = "newcomer"
    fixed_count = RUN.get("users", {}).get("newcomer", 1)

    def iteration(self):  # sign_up
        self.become(next(_addresses))
        started = time.time()
        self.call("GET", "/accounts/signup/", "signup:form")
        handle = f"n{uuid.uuid4().hex[:12]}"
        address = f"{handle}@surge.local"
        form = {"email": address, "handle": handle, "account_type": "artist", "password": "a long surge password 19"}
        form["csrfmiddlewaretoken"] = self.cookie_value("csrftoken")
        response = self.call("POST", "/accounts/signup/", "signup:submit", data=form, headers=self.csrf_headers())
        if response.status_code != 302:
            return journey("signup_to_confirmed", time.time() - started, f"sign-up answered {response.status_code}")
        link = MAIL.wait_for(address, timeout=60)
        if not link:
            return journey("signup_to_confirmed", time.time() - started, "no confirmation mail within 60 s")
        response = self.call("GET", link, "signup:confirm")
        self.call("GET", location(response) or "/", "signup:welcome")
        journey("signup_to_confirmed", time.time() - started)


class Artist(Person):
    """Uploads 1–4 images over tus, publishes, and polls its post until public (or held)."""

    kind = "artist"
    fixed_count = RUN.get("users", {}).get("artist", 1)

    def on_start(self):
        super().on_start()
        me = PLAN["artists"][next(_artists) % len(PLAN["artists"])]
        self.set_cookie(PLAN["session_cookie"], me["session"])
        self.call("GET", "/feed/following/", "in:following")

    def iteration(self):  # upload_and_publish
        response = self.call("POST", "/posts/new", "upload:new", headers=self.csrf_headers())
        match = re.search(r"/posts/(\d+)/edit", location(response))
        if not match:
            return journey("upload_to_public", 0, f"no draft: {response.status_code}")
        post = match.group(1)
        self.call("GET", f"/posts/{post}/edit", "upload:composer")
        accepted = None
        for _ in range(random.randint(1, 4)):  # noqa: S311
            data = fresh_picture()
            headers = {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)), **self.csrf_headers()}
            headers["Upload-Metadata"] = "filename aW1hZ2UuanBn,filetype aW1hZ2UvanBlZw=="
            created = self.call("POST", "/uploads/", "upload:tus_create", headers=headers)
            upload = location(created)
            chunk = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
            self.call("PATCH", upload, "upload:tus_patch", data=data, headers={**chunk, **self.csrf_headers()})
            upload_id = upload.rstrip("/").rsplit("/", 1)[-1]
            added = self.call(
                "POST", f"/posts/{post}/media/", "upload:media_add", data={"upload_id": upload_id},
                headers=self.csrf_headers(),
            )  # fmt: skip
            if added.status_code in (200, 302) and accepted is None:
                accepted = time.time()
        details = {"title": f"Surge study {post}", "description": "", "medium": "digital_2d"}
        details |= {"category": "illustration", "tags": "surge", "software": "Krita", "action": "publish"}
        self.call("POST", f"/posts/{post}/edit", "upload:publish", data=details, headers=self.csrf_headers())
        published = time.time()
        while time.time() - published < 180:
            banner = self.call("GET", f"/posts/{post}/status", "upload:poll").text or ""
            if "Your post is public." in banner or "Held for review" in banner:
                held = "" if "public." in banner else "held for review"
                journey("publish_to_public", time.time() - published, held)
                return journey("upload_to_public", time.time() - (accepted or published), held)
            time.sleep(1)
        journey("upload_to_public", time.time() - (accepted or published), "not public after 180 s")


def fresh_picture() -> bytes:
    """A picture nobody has posted yet. The same picture uploaded by two artists is, to the site's
    art-theft check, one work reposted by a stranger: held for review, never public. The next of this
    phase's range of the pool the orchestrator drew (bench.surge_pictures.fill_pool; it starts the
    next phase past every number this one took); past the pool's end one is drawn here (~65 ms of
    CPU, in gevent's thread pool so the other simulated people's requests go on meanwhile), seeded
    from the OS, so no two processes draw the same one."""
    number = next(_picture_numbers)
    data = pooled_picture(Path(PICTURES["pool"]), number) if PICTURES else None
    _pictures_taken["pooled" if data is not None else "drawn"] += 1
    if data is not None:
        return data
    width = random.choice(WIDTHS)  # noqa: S311
    return gevent.get_hub().threadpool.apply(distinct_picture, (width, HEIGHT))


@events.quit.add_listener
def record_pictures_taken(**kwargs):
    """How many pool numbers this phase took, for the orchestrator to start the next past them."""
    if _log:
        Path(RUN["log"] + ".pictures").write_text(json.dumps(_pictures_taken))


PICTURES = RUN.get("pictures", {})  # {"pool": directory, "from": this phase's first number}
_picture_numbers = count(PICTURES.get("from", 0))
_pictures_taken = {"pooled": 0, "drawn": 0}
MAIL = Mailbox(RUN.get("mail", ""))
_readers, _artists = count(), count()
