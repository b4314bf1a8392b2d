"""How many SMS segments a text costs: GSM-7 when it can, UCS-2 otherwise.

GSM-7 fits 160 characters in one segment and 153 per segment when split
(the rest carries the concatenation header); characters of the extension
table (such as { } [ ] ~ € ^ | \\) take two. Anything else (emoji, curly
quotes, most non-Latin scripts) forces UCS-2: 70 UTF-16 code units in one
segment, 67 per segment when split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int

    @property
    def is_gsm7(self) -> bool:
        return self.encoding == "GSM-7"


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def count(text: str) -> SegmentInfo:
    """Encoding, length in units, and number of segments for `text`."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = -(-units // multi)
    return SegmentInfo(encoding, units, segments)


def segments(text: str) -> int:
    return count(text).segments
