"""The XMP packet written into every public rendition of a post: who made it, where to find them,
the copyright and licence, and IPTC PLUS's "data mining prohibited, including AI/ML training".

Renditions are encoded from pixels only (no metadata of the upload survives), and this packet is
handed to the encoder, so it is the one statement every file carries.
"""

from xml.sax.saxutils import escape, quoteattr

from django.conf import settings

DATA_MINING_PROHIBITED = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
NOT_FOR_AI = "Not for AI training, AI datasets or other text and data mining (EU DSM Directive Art. 4(3))."


def rights_xmp(*, creator: str, profile_url: str, year: int, licence_name: str, licence_url: str) -> bytes:
    copyright_notice = f"© {year} {creator}." + (" All rights reserved." if not licence_url else "")
    terms = (f"Licensed under {licence_name}: {licence_url}. " if licence_url else "All rights reserved. ") + NOT_FOR_AI
    web_statement = licence_url or profile_url
    licence_attr = f"\n    cc:license={quoteattr(licence_url)}" if licence_url else ""
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"
    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
    xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:cc="http://creativecommons.org/ns#"
    plus:DataMining={quoteattr(DATA_MINING_PROHIBITED)}
    xmpRights:Marked="True"
    xmpRights:WebStatement={quoteattr(web_statement)}
    photoshop:Credit={quoteattr(f"{creator} on {settings.SITE_NAME}")}{licence_attr}>
   <dc:creator><rdf:Seq><rdf:li>{escape(creator)}</rdf:li></rdf:Seq></dc:creator>
   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{escape(copyright_notice)}</rdf:li></rdf:Alt></dc:rights>
   <xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">{escape(terms)}</rdf:li></rdf:Alt></xmpRights:UsageTerms>
   <Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource">
    <Iptc4xmpCore:CiUrlWork>{escape(profile_url)}</Iptc4xmpCore:CiUrlWork>
   </Iptc4xmpCore:CreatorContactInfo>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")


def post_xmp(post) -> bytes:
    """The packet for every rendition of `post` (its author's name and profile, its licence)."""
    from django.utils import timezone

    author = post.author
    profile = getattr(author, "profile", None)
    year = (post.published_at or post.created_at or timezone.now()).year
    return rights_xmp(
        creator=(profile.name if profile else author.handle),
        profile_url=settings.SITE_URL + author.get_absolute_url(),
        year=year,
        licence_name=post.get_licence_display(),
        licence_url=post.licence_url,
    )
