"""C2PA Content Credentials in every public rendition, signed by the instance (`c2pa-python`).

Each manifest says who made the work (a schema.org CreativeWork author with their profile URL) and
that it may not be used for AI training, generative AI training, AI inference or data mining, in
both the current CAWG assertion (`cawg.training-mining`) and the older `c2pa.training-mining`.

The admin configures a certificate chain and key (C2PA_SIGNING_CERT, C2PA_SIGNING_KEY: PEM files,
an ES256 key whose certificate allows digital signatures and emailProtection, chained to a CA).
Without them, the embedded default makes its own CA and signing certificate on first use, in
var/c2pa/: validators then report the manifest as well-formed but signed by an untrusted party,
which is the honest state of a self-hosted instance until it gets a certificate from a trust list.
A rendition whose signing fails is kept unsigned (its XMP still says the same) and the error logged.
"""

import datetime
import io
import json
import logging
import threading
from pathlib import Path

from django.conf import settings

from atelier.core.outbound import C2PA_OFFLINE_SETTINGS

logger = logging.getLogger(__name__)

TRAINING_USES = ("ai_training", "ai_generative_training", "ai_inference", "data_mining")
MIME_TYPES = {"webp": "image/webp", "avif": "image/avif", "jpeg": "image/jpeg", "mp4": "video/mp4"}
_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/{}"

_lock = threading.Lock()
_signer = None
_context = None


def post_manifest(post, *, source_type: str) -> dict:
    """The manifest for a post's renditions. `source_type` (an IPTC digital source type) comes from
    the evidence about the items (`posts.media_checks.source_type`), never from the post's fields:
    C2PA requires one on the `c2pa.created` action, so work with no settled evidence is not signed."""
    author = post.author
    profile = getattr(author, "profile", None)
    source = source_type
    agent = {"name": settings.SITE_NAME}
    return {
        "claim_generator_info": [{"name": settings.SITE_NAME, "version": "1"}],
        "title": post.title or f"Work by {author.handle}",
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": _SOURCE_TYPE.format(source),
                            "softwareAgent": agent,
                        },
                        {"action": "c2pa.published", "softwareAgent": agent},
                    ]
                },
            },
            {
                "label": "stds.schema-org.CreativeWork",
                "data": {
                    "@context": "https://schema.org",
                    "@type": "CreativeWork",
                    "author": [
                        {
                            "@type": "Person",
                            "name": profile.name if profile else author.handle,
                            "url": settings.SITE_URL + author.get_absolute_url(),
                        }
                    ],
                    "license": post.licence_url or None,
                    "copyrightNotice": f"© {(post.published_at or post.created_at).year} "
                    f"{profile.name if profile else author.handle}",
                },
            },
            {
                "label": "cawg.training-mining",
                "data": {"entries": {f"cawg.{use}": {"use": "notAllowed"} for use in TRAINING_USES}},
            },
            {
                "label": "c2pa.training-mining",
                "data": {"entries": {f"c2pa.{use}": {"use": "notAllowed"} for use in TRAINING_USES}},
            },
        ],
    }


def _credentials() -> tuple[bytes, bytes]:
    """(certificate chain PEM, private key PEM): configured, else generated once for this instance."""
    cert_path, key_path = settings.C2PA_SIGNING_CERT, settings.C2PA_SIGNING_KEY
    if cert_path and key_path:
        return Path(cert_path).read_bytes(), Path(key_path).read_bytes()
    folder = Path(settings.VAR_DIR) / "c2pa"
    chain, key = folder / "signer-chain.pem", folder / "signer-key.pem"
    if not (chain.exists() and key.exists()):
        folder.mkdir(parents=True, exist_ok=True)
        chain_pem, key_pem = _self_signed_chain()
        key.write_bytes(key_pem)
        key.chmod(0o600)
        chain.write_bytes(chain_pem)
    return chain.read_bytes(), key.read_bytes()


def _self_signed_chain() -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str):
        return x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, common), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Atelier")]
        )

    def usage(*, sign_certs: bool):
        return x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=sign_certs, crl_sign=sign_certs, encipher_only=False,
            decipher_only=False,
        )  # fmt: skip

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name(f"{settings.SITE_NAME} content credentials CA"))
        .issuer_name(name(f"{settings.SITE_NAME} content credentials CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign_certs=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name(f"{settings.SITE_NAME} signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain_pem = leaf.public_bytes(pem) + ca.public_bytes(pem)
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return chain_pem, key_pem


def _get_signer():
    """One signer per process: loading the key and chain costs more than signing a small file."""
    global _signer
    if _signer is None:
        import c2pa

        chain, key = _credentials()
        _signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, key, None))
    return _signer


def _get_context():
    """No claim thumbnail: by default the SDK embeds a re-encoded copy of the image in the manifest
    (bench/signals.py: +1.4 MB and +60 ms on a 1280 px WebP); the rendition is its own preview.
    Offline, like every c2pa context here: no remote manifest or OCSP fetch."""
    global _context
    if _context is None:
        import c2pa

        offline = {**C2PA_OFFLINE_SETTINGS, "builder": {"thumbnail": {"enabled": False}}}
        _context = c2pa.Context(settings=c2pa.Settings.from_dict(offline))
    return _context


def sign(data: bytes, kind: str, manifest: dict) -> bytes:
    """`data` (a rendition of MIME_TYPES' `kind`) with the manifest embedded and signed; `data` itself
    when signing fails (logged: the XMP statement still stands)."""
    import c2pa

    try:
        with _lock:  # the signer is shared; signing is a few milliseconds
            builder = c2pa.Builder(json.dumps(manifest), context=_get_context())
            out = io.BytesIO()
            builder.sign(_get_signer(), MIME_TYPES[kind], io.BytesIO(data), out)
        return out.getvalue()
    except Exception:
        logger.exception("C2PA signing failed for a %s rendition; kept unsigned", kind)
        return data


def read(data: bytes, kind: str) -> tuple[dict, str]:
    """(the active manifest, validation state) of a signed rendition, for tests and the admin."""
    import c2pa

    reader = c2pa.Reader(MIME_TYPES[kind], io.BytesIO(data), context=_get_context())
    store = json.loads(reader.json())
    return store["manifests"][store["active_manifest"]], reader.get_validation_state()
