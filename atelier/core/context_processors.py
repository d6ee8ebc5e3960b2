from django.conf import settings


def site(request):
    """Site-wide values every template may use."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        # The W3C TDMRep policy every page points to (protection.shield.signals).
        "tdm_policy_url": settings.SITE_URL + "/tdm-policy.json",
    }
