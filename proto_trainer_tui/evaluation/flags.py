"""Session-integrity checks: personal data, gaming, and redaction of quotes.

Pure. Messages never repeat the personal data they found: transcripts and reports are exported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .transcript import TranscriptTurn

_PHONE = re.compile(r"(?<![\w-])(?:\+|\()?\d[\d ().-]{5,}\d(?![\w-])")
# A local number needs its separator: "555-0142", "555 0142"; a bare run of digits needs eight or more.
_LOCAL = re.compile(r"^\d{3}[-. ]\d{4}$")
# Toll-free and short public numbers belong to services, not people.
_SERVICE_NUMBER = re.compile(r"^\+?(?:1[ -]?)?\(?(?:800|888|877|866|855|844|833)\b|^(?:0800|1800|1300|116)\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ADDRESS = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|"
    r"Way|Place|Pl|Close|Crescent|Terrace|Parade|Grove|Gardens)\b"
)
_ID_NUMBER = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")  # US social security number shape

MINIMAL_WORDS = 2
GAMING_SHARE = 0.6
GAMING_MIN_TURNS = 4


def _phones(text: str) -> list[str]:
    found = []
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        number = match.group().strip()
        if (len(digits) >= 8 or _LOCAL.match(number)) and not _SERVICE_NUMBER.match(number.lstrip("(")):
            found.append(match.group())
    return found


def personal_data_kinds(text: str) -> list[str]:
    kinds = []
    if _phones(text):
        kinds.append("a phone number")
    if _EMAIL.search(text):
        kinds.append("an email address")
    if _ADDRESS.search(text):
        kinds.append("a street address")
    if _ID_NUMBER.search(text):
        kinds.append("an ID number")
    return kinds


def redact(text: str) -> str:
    """Quotes in a report never carry what looks like personal data."""
    for phone in _phones(text):
        text = text.replace(phone, "[phone number]")
    text = _EMAIL.sub("[email]", text)
    text = _ADDRESS.sub("[address]", text)
    return _ID_NUMBER.sub("[ID number]", text)


def gaming_evidence(turns: Sequence[TranscriptTurn]) -> tuple[str, int | None] | None:
    """Why the counselor seems to be gaming the session, with the first such turn; None if not."""
    counselor = [t for t in turns if t.role == "counselor"]
    if len(counselor) < GAMING_MIN_TURNS:
        return None
    minimal = [t for t in counselor if len(re.findall(r"[\w']+", t.text)) <= MINIMAL_WORDS]
    if len(minimal) / len(counselor) >= GAMING_SHARE:
        return (f"{len(minimal)} of {len(counselor)} counselor turns are {MINIMAL_WORDS} words or fewer "
                "(e.g. 'ok'); the call was not engaged with", minimal[0].order)
    texts = [re.sub(r"\W+", " ", t.text.lower()).strip() for t in counselor]
    repeated = [t for t, text in zip(counselor, texts) if len(text.split()) >= 3 and texts.count(text) >= 3]
    if repeated:
        return "the same counselor line is repeated three times or more", repeated[0].order
    return None
