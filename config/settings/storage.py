"""Where files live: two storages, public renditions ("default") and private originals ("originals").

Local folders by default; S3-compatible buckets (django-storages) when AWS_STORAGE_BUCKET_NAME is
set. Built by a function so tests can build the S3 variant against a local S3 stand-in.
"""

from collections.abc import Mapping
from pathlib import Path


def build_storages(*, env: Mapping[str, str], media_root: Path, media_url: str) -> dict:
    bucket = env.get("AWS_STORAGE_BUCKET_NAME", "")
    if not bucket:
        return {
            "default": {
                # Signed, expiring URLs (media.signed_media); the /media/ view checks them.
                "BACKEND": "atelier.media.signed_media.SignedFileSystemStorage",
                "OPTIONS": {"location": str(media_root / "public"), "base_url": media_url},
            },
            # Originals have no URL of their own (FileSystemStorage would fall back to MEDIA_URL,
            # but the /media/ view serves only the public folder): the worker reads them by path.
            "originals": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(media_root / "originals"), "base_url": None},
            },
            # Renditions of posts that are not public (atelier.media.storages): no URL maps to it.
            "withheld": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(media_root / "withheld"), "base_url": None},
            },
        }
    common = {
        "endpoint_url": env.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": env.get("AWS_S3_REGION_NAME") or None,
        "access_key": env.get("AWS_ACCESS_KEY_ID") or None,
        "secret_key": env.get("AWS_SECRET_ACCESS_KEY") or None,
        # No HEAD before each save to find a free name: every name the site stores carries a random
        # token or is meant to replace what is there (atelier/media/object_storage.py lists them).
        "file_overwrite": True,
        # Signature V4: the only kind newer AWS regions and most S3-compatible services accept.
        "signature_version": "s3v4",
    }
    return {
        "default": {
            # Reached through the edge at MEDIA_URL with signed, expiring URLs (media.signed_media):
            # nginx checks them and fetches from the bucket, which is not published itself.
            "BACKEND": "atelier.media.signed_media.SignedS3Storage",
            "OPTIONS": {
                **common,
                "bucket_name": bucket,
                "location": "public",
                # Public reads come from a bucket policy or a CDN; set AWS_PUBLIC_ACL=public-read for
                # services that still use object ACLs.
                "default_acl": env.get("AWS_PUBLIC_ACL") or None,
                "querystring_auth": False,
                # Shared caches keep a file no longer than this: a post that leaves public view has its
                # renditions moved out of the bucket, and a CDN copy must not outlive that by a year.
                "object_parameters": {"CacheControl": f"public, max-age={shared_cache_seconds(env)}"},
            },
        },
        "originals": {
            "BACKEND": "atelier.media.object_storage.ObjectStorage",
            "OPTIONS": {
                **common,
                "bucket_name": env.get("AWS_PRIVATE_BUCKET_NAME") or bucket,
                "location": "originals",
                "default_acl": "private",
                # Only short-lived signed URLs, and only the worker and the owner's views ask for them.
                "querystring_auth": True,
                "querystring_expire": 300,
            },
        },
        # Renditions of posts that are not public: private objects beside the originals.
        "withheld": {
            "BACKEND": "atelier.media.object_storage.ObjectStorage",
            "OPTIONS": {
                **common,
                "bucket_name": env.get("AWS_PRIVATE_BUCKET_NAME") or bucket,
                "location": "withheld",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
            },
        },
    }


def shared_cache_seconds(env: Mapping[str, str]) -> int:
    """How long a CDN or browser may keep a public rendition (MEDIA_SHARED_CACHE_SECONDS, default 1 h)."""
    return int(env.get("MEDIA_SHARED_CACHE_SECONDS") or 3600)
