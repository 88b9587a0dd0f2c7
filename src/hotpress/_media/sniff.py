"""What an image really is, from its first bytes (never from the Content-Type or the URL).

Only raster formats browsers show are accepted: JPEG, PNG, GIF, WebP, AVIF. SVG (it can
carry script), HTML served as an image, and anything else are refused.
"""

from __future__ import annotations

RASTER = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}
RASTER["avif"] = "image/avif"

_AVIF_BRANDS = (b"avif", b"avis")


def sniff(data: bytes) -> str | None:
    """The file extension of a raster image (``jpg``, ``png``, ``gif``, ``webp``, ``avif``),
    or ``None`` when the bytes are anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and len(data) >= 12:
        # ISO BMFF: the major brand, then compatible brands up to the box's end.
        size = int.from_bytes(data[:4], "big")
        brands = data[8:12] + data[16 : min(size, 64)]
        chunks = [brands[i : i + 4] for i in range(0, len(brands), 4)]
        if any(chunk in _AVIF_BRANDS for chunk in chunks):
            return "avif"
    return None
