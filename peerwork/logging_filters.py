"""A last line of defence: redact phone numbers from every log record.

Code never logs phone numbers or message bodies on purpose; this filter
catches accidents (a library logging a URL with a number in it, say).
"""

from __future__ import annotations

import logging
import re

# E.164-ish and formatted North American numbers.
PHONE_RE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{8,}\d(?![\w])")


def redact(text: str) -> str:
    return PHONE_RE.sub("[phone]", text)


class RedactPhones(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_redaction(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactPhones) for f in logger.filters):
        logger.addFilter(RedactPhones())
    for handler in logger.handlers:
        if not any(isinstance(f, RedactPhones) for f in handler.filters):
            handler.addFilter(RedactPhones())
