"""Checks on an admin's rewording of an editable text (sms/texts.py EDITABLE).

A program may reword some texter-facing texts; the wording must keep its
placeholders plain and known, keep the ones filled in when sent, fit the
text's segment budget once filled, and keep the crisis line where the
default has it.
"""

from __future__ import annotations

import string

from peerwork.sms import segments
from peerwork.sms import texts as sms_texts


def text_errors(key: str, wording: str, samples: dict[str, str] | None = None) -> list[str]:
    """Why `wording` cannot replace the editable text `key` (empty list: it can).

    The length is counted as sent: placeholders filled with `samples`.
    """
    spec = sms_texts.EDITABLE[key]
    errors = []
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(wording)
            if name is not None
        ]
    except ValueError:
        return ["Curly braces are only for placeholders such as {program}."]
    # A format spec such as {program:>999999999} would build a huge string on every render.
    if any(spec or conversion for _, spec, conversion in fields):
        return ["Write placeholders plainly, like {program}, with nothing else inside the braces."]
    used = {name for name, _, _ in fields}
    unknown = sorted(used - spec.placeholders)
    if "" in unknown:
        errors.append("Empty braces {} are not a placeholder. Remove them.")
        unknown.remove("")
    if unknown:
        allowed = ", ".join("{" + p + "}" for p in sorted(spec.placeholders)) or "none"
        errors.append(
            f"Unknown placeholder {', '.join('{' + u + '}' for u in unknown)}. "
            f"This text can use: {allowed}."
        )
    missing = sorted(p for p in spec.placeholders - used if p != "program")
    if missing:
        errors.append(
            f"Keep the placeholder {', '.join('{' + m + '}' for m in missing)}: "
            "it is filled in when the text is sent."
        )
    if errors:
        return errors
    info = segments.count(sms_texts.render(key, {key: wording}, **(samples or {})))
    if info.segments > spec.max_segments:
        limit = "1 SMS segment" if spec.max_segments == 1 else f"{spec.max_segments} SMS segments"
        errors.append(
            f"Too long: {info.segments} segments ({info.units} {info.encoding} characters); "
            f"the limit is {limit}."
            + (
                " Curly quotes or emoji switch to UCS-2, which halves the room."
                if not info.is_gsm7
                else ""
            )
        )
    if "988" in spec.default and "988" not in wording:
        errors.append("Keep the crisis line (988) in this text: people may read it in a crisis.")
    return errors
