"""The do-not-train statements in the formats crawlers and dataset tools read: robots.txt with
Cloudflare's Content-Signal line, Spawning's ai.txt, and W3C TDMRep (tdmrep.json + an ODRL policy)."""

from django.conf import settings
from django.urls import reverse

from atelier.protection.shield.models import CrawlerAgent, SearchEngineAgent

CONTENT_SIGNAL = "Content-Signal: search=yes, ai-input=no, ai-train=no"
# Places nobody should index, search engines included: private or per-person pages.
PRIVATE_PATHS = ["/settings/", "/accounts/", "/bookmarks/", "/notifications/", "/uploads/", "/api/", "/admin/"]
# What every agent may read, so that even a crawler we refuse can learn our terms.
TERMS_PATHS = ["/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/tdm-policy.json", "/do-not-train/"]


def robots_txt() -> str:
    """An allow-list: the search engines admins allow may index public pages and images; every
    other agent, `*` included, is disallowed from everything but the terms files. The named AI
    crawlers get a group of their own too, for readers that only look for their own name."""
    allowed = list(SearchEngineAgent.objects.filter(allowed=True).values_list("token", flat=True))
    allowed_lower = {token.lower() for token in allowed}
    lines = ["# Atelier: human-made art. Not for AI training, AI datasets or AI answers.", ""]
    # One group naming every AI crawler (RFC 9309 groups may list several agents): they may read
    # our terms and nothing else.
    named = CrawlerAgent.objects.values_list("token", flat=True)
    named = [token for token in named if token.lower() not in allowed_lower]
    if named:
        lines += [f"User-agent: {token}" for token in named]
        lines += [CONTENT_SIGNAL, *(f"Allow: {path}" for path in TERMS_PATHS), "Disallow: /", ""]
    if allowed:
        lines += [f"User-agent: {token}" for token in allowed]
        lines += [CONTENT_SIGNAL]
        # Disallows first: some parsers (Python's among them) take the first matching line, not the longest.
        lines += [f"Disallow: {path}" for path in PRIVATE_PATHS]
        lines += ["Allow: /", ""]
    lines += ["User-agent: *", CONTENT_SIGNAL]
    lines += [f"Allow: {path}" for path in TERMS_PATHS]
    lines += ["Disallow: /"]
    return "\n".join(lines) + "\n"


def ai_txt() -> str:
    """Spawning's ai.txt (robots syntax): no file type of any page may be used for AI."""
    lines = ["# Atelier: no AI training or dataset use of any content, images or text.", "User-Agent: *"]
    lines += ["Disallow: /"]
    lines += [
        f"Disallow: *.{ext}" for ext in ("jpg", "jpeg", "png", "webp", "avif", "gif", "mp4", "webm", "txt", "html")
    ]
    return "\n".join(lines) + "\n"


def policy_url() -> str:
    return settings.SITE_URL + reverse("shield:tdm_policy")


def tdmrep_json() -> list[dict]:
    """/.well-known/tdmrep.json: rights reserved on the whole site, with the policy to ask."""
    return [{"location": "/*", "tdm-reservation": 1, "tdm-policy": policy_url()}]


def tdm_policy() -> dict:
    """The ODRL policy the reservation points to (TDMRep profile): mining is allowed only with the
    artist's consent, asked through their profile, and never for training generative AI."""
    return {
        "@context": ["http://www.w3.org/ns/odrl.jsonld", {"tdm": "http://www.w3.org/ns/tdmrep#"}],
        "@type": "Offer",
        "profile": "http://www.w3.org/ns/tdmrep",
        "uid": policy_url(),
        "target": settings.SITE_URL + "/",
        "assigner": {"uid": settings.SITE_URL + "/", "vcard:fn": "Atelier, on behalf of each artist"},
        "permission": [
            {
                "action": "tdm:mine",
                "duty": [{"action": "obtainConsent", "consentingParty": "the artist who posted the work"}],
            }
        ],
        "prohibition": [
            {
                "action": "tdm:mine",
                "constraint": [{"leftOperand": "purpose", "operator": "eq", "rightOperand": "generative-ai-training"}],
            }
        ],
    }
