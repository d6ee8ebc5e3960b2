"""Protection of artists' work, one Django app per concern:

- `detection`: AI-image detection on every upload (provenance, watermarks, classifier, remote API).
- `shield`: do-not-train signals (robots, TDMRep, XMP, C2PA) and anti-scraping access control.
- `cloak`: the optional Glaze-like style cloak.
"""
