"""Search engines that skip the browser check: only when the User-Agent names one an admin allows
AND the address proves it (forward-confirmed reverse DNS into the engine's own domains), since any
scraper can send "Googlebot" in its User-Agent.

The answer per address is cached for a day: a crawler's first request pays two DNS look-ups.
"""

import socket

from django.core.cache import cache

from atelier.protection.shield.models import SearchEngineAgent

_ENGINES_KEY = "shield:search-engines"
_VERDICT_SECONDS = 86400


def _allowed_engines() -> list[tuple[str, list[str]]]:
    engines = cache.get(_ENGINES_KEY)
    if engines is None:
        engines = [
            (token.lower(), [name.strip().lower().lstrip(".") for name in hostnames.split(",") if name.strip()])
            for token, hostnames in SearchEngineAgent.objects.filter(allowed=True).values_list("token", "hostnames")
        ]
        cache.set(_ENGINES_KEY, engines, timeout=300)
    return engines


def forget_allowed_engines(**kwargs) -> None:
    cache.delete(_ENGINES_KEY)


def claimed_domains(user_agent: str) -> list[str]:
    """The domains of the allowed engine this User-Agent claims to be ([] if none, or none to verify)."""
    lowered = user_agent.lower()
    for token, domains in _allowed_engines():
        if token in lowered:
            return domains
    return []


def is_verified_search_engine(user_agent: str, address: str) -> bool:
    """True when the User-Agent names an allowed search engine and `address` belongs to it."""
    domains = claimed_domains(user_agent)
    if not domains:
        return False
    key = f"shield:search-engine-address:{address}:{'|'.join(domains)}"
    verdict = cache.get(key)
    if verdict is None:
        verdict = address_belongs_to(address, domains)
        cache.set(key, verdict, timeout=_VERDICT_SECONDS)
    return verdict


def address_belongs_to(address: str, domains: list[str]) -> bool:
    """Forward-confirmed reverse DNS: the address's name is in one of `domains` and that name
    resolves back to the same address (a PTR record alone is the address owner's to write)."""
    try:
        hostname = socket.gethostbyaddr(address)[0].lower().rstrip(".")
    except (OSError, UnicodeError):
        return False
    if not any(hostname == domain or hostname.endswith("." + domain) for domain in domains):
        return False
    try:
        forward = {info[4][0] for info in socket.getaddrinfo(hostname, None)}
    except (OSError, UnicodeError):
        return False
    return address in forward
