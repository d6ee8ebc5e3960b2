"""Every page carries a strict Content-Security-Policy and the other browser-side protections.

The policy only works if the templates obey it, so the rendered pages are parsed too: no inline
script, no inline event handlers, no style attributes.
"""

from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings

from atelier.core.security_headers import build_content_security_policy
from tests.conftest import TEST_PASSWORD

ANONYMOUS_HTML_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/@mira",
    "/no-such-page/",
]
SIGNED_IN_HTML_PAGES = ["/", "/@mira", "/settings/profile/", "/settings/account/", "/settings/password/"]


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            name = tokens[0].lower()
            assert name not in directives, f"directive {name} given twice"
            directives[name] = tokens[1:]
    return directives


def assert_strict_headers(response) -> None:
    csp = parse_csp(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] in (["'self'"], ["'none'"])
    assert csp["form-action"] == ["'self'"]
    for sources in csp.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert "*" not in sources
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "interest-cohort"):
        assert f"{feature}=()" in permissions
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


class PageElements(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, handlers, styles."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.inline_handlers: list[tuple[str, str]] = []
        self.style_attributes: list[str] = []
        self.style_elements = 0
        self.javascript_urls: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.inline_handlers.append((tag, name))
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.javascript_urls.append(value)
        if "style" in attributes:
            self.style_attributes.append(tag)
        if tag == "style":
            self.style_elements += 1
        if tag == "script":
            self.scripts.append({"attrs": attributes, "body": ""})
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1]["body"] += data


def page_elements(response) -> PageElements:
    parser = PageElements()
    parser.feed(response.content.decode())
    parser.close()
    return parser


def assert_csp_compatible_markup(response) -> None:
    elements = page_elements(response)
    assert elements.scripts, "the page should load its scripts"
    for script in elements.scripts:
        assert script["attrs"].get("src", "").startswith("/static/"), script
        assert script["body"].strip() == "", f"inline script body: {script['body'][:80]!r}"
        assert script["attrs"].get("type", "text/javascript") in ("text/javascript", "module")
    assert elements.inline_handlers == []
    assert elements.style_attributes == []
    assert elements.style_elements == 0
    assert elements.javascript_urls == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ANONYMOUS_HTML_PAGES)
def test_anonymous_html_pages_carry_strict_headers_and_no_inline_code(client, user, path):
    response = client.get(path)

    assert response.status_code in (200, 404)
    assert response["Content-Type"].startswith("text/html")
    assert_strict_headers(response)
    assert_csp_compatible_markup(response)


@pytest.mark.django_db
@pytest.mark.parametrize("path", SIGNED_IN_HTML_PAGES)
def test_signed_in_html_pages_carry_strict_headers_and_no_inline_code(signed_in_client, path):
    response = signed_in_client.get(path)

    assert response.status_code == 200
    assert_strict_headers(response)
    assert_csp_compatible_markup(response)


def test_home_page_with_artists_has_only_external_scripts(client, make_user, make_published_post):
    for number in range(3):
        make_published_post(make_user(f"painter{number}"))  # "New on Atelier" lists artists with public work

    response = client.get("/")

    assert response.status_code == 200
    assert b"@painter2" in response.content
    scripts = page_elements(response).scripts
    assert [s["attrs"]["src"] for s in scripts] == ["/static/vendor/htmx/htmx.min.js", "/static/js/app.js"]
    assert all(s["body"] == "" for s in scripts)


def test_htmx_is_configured_not_to_evaluate_code(client, db):
    response = client.get("/")

    assert b'"allowEval": false' in response.content
    assert b'"allowScriptTags": false' in response.content


@pytest.mark.django_db
def test_json_responses_carry_the_same_headers(client):
    for path in ("/healthz", "/api/v1/openapi.json", "/api/v1/profiles/nobody"):
        response = client.get(path)
        assert response["Content-Type"].startswith("application/json"), path
        assert_strict_headers(response)


def test_media_on_another_origin_is_allowed_for_images_and_video_only():
    with override_settings(MEDIA_URL="https://cdn.example.com/media/"):
        csp = parse_csp(build_content_security_policy())

    assert "https://cdn.example.com" in csp["img-src"]
    assert "https://cdn.example.com" in csp["media-src"]
    for directive in ("default-src", "script-src", "style-src", "connect-src", "font-src"):
        assert csp[directive] == ["'self'"], directive


def test_local_media_adds_no_foreign_origin():
    with override_settings(MEDIA_URL="/media/"):
        csp = parse_csp(build_content_security_policy())

    assert csp["img-src"] == ["'self'", "data:", "blob:"]


def test_a_view_may_set_its_own_policy(rf):
    """The middleware fills in the policy only when the response has none, so a view can tighten it."""
    from django.http import HttpResponse

    from atelier.core.security_headers import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse("x")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))

    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert "camera=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_login_post_without_csrf_token_is_refused_with_the_friendly_page(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"identifier": user.email, "password": TEST_PASSWORD})

    assert response.status_code == 403
    body = response.content.decode()
    assert "Your session expired" in body
    assert "reload the page and submit again" in body
    assert "CSRF verification failed" not in body
    assert "_auth_user_id" not in client.session
    assert_strict_headers(response)


@pytest.mark.django_db
def test_login_post_with_a_csrf_token_is_accepted(user):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value

    response = client.post(
        "/accounts/login/", {"identifier": user.email, "password": TEST_PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_logout_without_csrf_token_is_refused(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/accounts/logout/")

    assert response.status_code == 403
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_unknown_page_renders_the_friendly_404(client):
    response = client.get("/this/does/not/exist/")

    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]


@pytest.mark.django_db
def test_unknown_profile_renders_the_friendly_404(client):
    response = client.get("/@nobody-here")

    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only_and_same_site(client, user):
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"identifier": user.email, "password": TEST_PASSWORD})

    session_cookie = client.cookies["sessionid"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["samesite"] == "Lax"
