"""Untrusted text made safe to show in a terminal.

Server transcripts, error messages and scenario files may hold ANSI escape
sequences, other control characters or bidi overrides. Printed as they are, they
could move the cursor, recolour or clear the screen, or reorder what the reader
sees. :func:`printable` swaps each for a visible stand-in, so the text shows
literally and the terminal state never changes. Also how a stored moment is shown.
Pure: no I/O.
"""

from __future__ import annotations

import re
from datetime import datetime

KEPT = "\n\t"
# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder text
# visually ("Trojan Source"); line/paragraph separators break lines where \n is not expected.
_BIDI_AND_SEPARATORS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
_UNSAFE = re.compile(
    "[" + "".join(chr(c) for c in range(0x20) if chr(c) not in KEPT) + "\x7f-\x9f" + _BIDI_AND_SEPARATORS + "]"
)


def _stand_in(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ESC -> "␛", CR -> "␍"
    if code == 0x7F:
        return "\u2421"  # "␡"
    if code <= 0x9F:
        return f"\\x{code:02x}"  # C1 controls (CSI is 0x9b) have no pictures
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character except newline and tab made visible.

    ``"\\x1b[2J"`` becomes ``"␛[2J"``: the escape can no longer start a sequence.
    """
    return _UNSAFE.sub(_stand_in, text)


def one_line(text: str) -> str:
    """:func:`printable`, with newlines and tabs shown too: for one-line fields (ids, titles)."""
    return printable(text).replace("\n", "\u2424").replace("\t", "\u2409")


def local_time(moment: datetime | None) -> str:
    """A stored moment as the reader's local date and minute, as every list shows it; "–" for none."""
    return "–" if moment is None else f"{moment.astimezone():%Y-%m-%d %H:%M}"
