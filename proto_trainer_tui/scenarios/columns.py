"""Optional CSV columns that set caller-profile fields explicitly (pure).

``profile_columns`` turns the trainer's cells (``risk = "No risk"``, ``homicidal = "yes"``,
``opening = "silent"``) into typed profile values; a value it cannot read raises ``ValueError``
naming the column, so the import skips that row with the reason. Empty cells set nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .profile import CALLERS, PRONOUNS

# Columns that set a profile field; the other known columns describe the scenario.
PROFILE_COLUMNS = (
    "caller_name", "age", "pronouns", "caller", "role", "about", "about_name", "risk", "about_risk", "plan",
    "means", "timeline", "past_attempts", "self_harm", "homicidal", "homicidal_target", "substances",
    "protective", "disclose_when_asked", "opening",
)
INFO_COLUMNS = ("skills", "difficulty", "estimated_minutes", "one_time")
OPTIONAL_COLUMNS = PROFILE_COLUMNS + INFO_COLUMNS

_RISK_WORDS = {
    "none": ("none", "no", "no risk", "not suicidal", "denies si", "deny si", "no si", "low"),
    "passive": ("passive", "passive si", "passive ideation", "wish to be dead"),
    "active": ("active", "active si", "active ideation", "si", "ideation", "suicidal", "active without plan"),
    "plan": ("plan", "si with plan", "active with plan", "plan without intent"),
    "intent": ("intent", "plan with intent", "imminent", "intent to act", "high"),
    "not_stated": ("not stated", "not_stated", "unknown", "unstated"),
}
_YES = ("yes", "y", "true", "1", "present", "endorsed")
_NO = ("no", "n", "false", "0", "none", "denied", "denies", "absent")
_OPENING_WORDS = {"speaks": ("speaks", "talks"), "silent": ("silent", "silence"),
                  "hang_up": ("hang_up", "hang-up", "hang up", "hangs up"), "transfer": ("transfer", "transferred")}


def _words(value: str) -> str:
    return re.sub(r"[\s_-]+", " ", value.strip().lower())


def _choice(column: str, value: str, table: Mapping[str, tuple[str, ...]]) -> str:
    wanted = _words(value)
    for name, words in table.items():
        if wanted in {_words(w) for w in words}:
            return name
    raise ValueError(f"{column} must be one of {', '.join(table)}, got {value!r}")


def _flag(column: str, value: str) -> bool:
    wanted = _words(value)
    if wanted in _YES:
        return True
    if wanted in _NO:
        return False
    raise ValueError(f"{column} must be yes or no, got {value!r}")


def _absent_or_text(value: str) -> str | None:
    """``plan``/``means``: "no"/"none" states there is none; any other text is the fact."""
    return None if _words(value) in _NO else value.strip()


def profile_columns(cells: Mapping[str, str]) -> dict[str, Any]:
    """Typed profile fields from the non-empty optional columns among ``cells``."""
    out: dict[str, Any] = {}
    for column in PROFILE_COLUMNS:
        value = (cells.get(column) or "").strip()
        if not value:
            continue
        if column in ("risk", "about_risk"):
            risk = _choice(column, value, _RISK_WORDS)
            if risk != "not_stated":
                out[column] = risk
        elif column in ("past_attempts", "self_harm", "homicidal", "disclose_when_asked"):
            out[column] = _flag(column, value)
        elif column in ("plan", "means"):
            out[column] = _absent_or_text(value)
        elif column == "age":
            if not value.isdigit() or not 5 <= int(value) <= 120:
                raise ValueError(f"age must be a whole number between 5 and 120, got {value!r}")
            out["age"] = int(value)
        elif column == "pronouns":
            if _words(value).replace(" ", "/") not in PRONOUNS:
                raise ValueError(f"pronouns must be one of {', '.join(PRONOUNS)}, got {value!r}")
            out["pronouns"] = _words(value).replace(" ", "/")
        elif column == "caller":
            caller = _words(value).replace(" ", "_")
            if caller not in CALLERS:
                raise ValueError(f"caller must be one of {', '.join(CALLERS)}, got {value!r}")
            out["caller"] = caller
        elif column == "substances":
            names = [] if _words(value) in _NO else [v.strip().lower() for v in value.split(",") if v.strip()]
            out["substances"] = tuple(names)
        elif column == "opening":
            try:
                out["opening"] = _choice(column, value, _OPENING_WORDS)
            except ValueError:
                out["first_line"] = value  # any other text is the caller's first words
        else:
            out[column] = value
    if out.get("homicidal") is False:
        out.pop("homicidal_target", None)
    return out


def check_info_columns(cells: Mapping[str, str]) -> str | None:
    """The reason an informational column is unusable, or None."""
    minutes = (cells.get("estimated_minutes") or "").strip()
    if minutes and not (minutes.isdigit() and 0 < int(minutes) <= 600):
        return f"estimated_minutes must be a whole number of minutes (1-600), got {minutes!r}"
    once = (cells.get("one_time") or "").strip()
    if once and _words(once) not in _YES + _NO:
        return f"one_time must be yes or no, got {once!r}"
    return None

