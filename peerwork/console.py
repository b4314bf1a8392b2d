"""What the terminal shows: one log handler for the command-line processes.

`peerwork run` is read by a person: after its banner it prints only what
needs them (warnings, errors, one line per failed job), each on one line,
so the banner's logins stay in sight. `--verbose` (log level INFO or DEBUG)
adds every request and every job, with full tracebacks. Colour codes (RQ's,
Werkzeug's request lines) are kept only when the stream is a terminal: a
log file gets plain text.

RQ and Werkzeug add their own handlers only when none is installed above
their loggers, so installing this one first makes it the only one.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from peerwork.logging_filters import install_redaction

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
# Libraries that decide their own level (or add a handler when they find none at it).
NOISY = ("werkzeug", "rq.worker", "rq.job", "rq.scheduler", "rq.cron")
# Flask's own handler on the app's logger ("peerwork", the parent of every module's
# logger): with ours on the root, each of our records would print twice.
APP_LOGGER = "peerwork"


def strip_colour(text: str) -> str:
    """`text` without ANSI escape sequences."""
    return ANSI.sub("", text)


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class ConsoleFormatter(logging.Formatter):
    """`HH:MM:SS message`; brief: one line per record (a traceback shrinks to its last line)."""

    def __init__(self, *, brief: bool, colour: bool) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self.brief, self.colour = brief, colour

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        failure = ""
        if record.exc_info and record.exc_info[1] is not None:
            failure = self.formatException(record.exc_info)
        elif record.exc_text:
            failure = record.exc_text
        prefix = self.formatTime(record, self.datefmt)
        if record.levelno >= logging.WARNING:
            prefix += f" {record.levelname.lower()}:"
        if self.brief:
            text = f"{prefix} {_one_line(message)}"
            if failure:
                text += f" ({_last_line(failure)})"
        else:
            text = f"{prefix} {message.rstrip()}"
            if failure:
                text += "\n" + failure.rstrip()
        return text if self.colour else strip_colour(text)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _one_line(message: str) -> str:
    """The first line, and the last one when it names an exception (RQ puts tracebacks in the text)."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return message.strip()
    head, tail = lines[0].strip(), lines[-1].strip()
    return f"{head} ({tail})" if "Traceback" in message else head


def setup(level: str = "info", stream: TextIO | None = None) -> logging.Handler:
    """Make one handler on the root logger the only console output, at `level`.

    Below INFO ("warning"), records are brief (one line each). Returns the handler.
    """
    threshold = LEVELS[level]
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setLevel(threshold)
    handler.setFormatter(
        ConsoleFormatter(brief=threshold > logging.INFO, colour=is_terminal(stream))
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    logging.getLogger(APP_LOGGER).handlers.clear()
    for name in NOISY:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(threshold)
    install_redaction(root)
    return handler
