"""The enrolment QR code, drawn by segno as SVG: shown as a data: image, which the CSP allows for
images, so no inline markup or style is needed and no imaging plugin runs."""

import segno


def data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=5, border=2, dark="#111111", light="#ffffff")
