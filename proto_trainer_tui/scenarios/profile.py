"""The caller profile: what a scenario states about its caller, and where each fact came from.

Pure data. ``reader.read_profile`` fills one from free text; bundled scenarios and CSV columns set
fields explicitly. A field nobody stated is ``None`` (or ``"not_stated"`` for ``risk``) with the
source ``"not_stated"``: the caller then deflects in character instead of inventing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

# Suicidal ideation, as the C-SSRS screener orders it; "active" is active ideation without a plan.
RISK_LEVELS = ("none", "passive", "active", "plan", "intent", "not_stated")
SOURCES = ("column", "text", "bundled", "not_stated", "model")
CALLERS = ("self", "third_party", "professional")
OPENINGS = ("speaks", "silent", "hang_up", "transfer")
PRONOUNS = ("she/her", "he/him", "they/them")


@dataclass(frozen=True)
class Profile:
    """Facts about the caller. ``None`` means the scenario does not say (see ``sources``).

    A stated absence is a value: ``risk="none"``, ``self_harm=False``, ``past_attempts=False``,
    ``homicidal=False``, ``substances=()``; for ``plan`` and ``means`` it is ``None`` with source
    ``"text"`` or ``"column"`` (the text says there is no plan / no access).
    """

    caller_name: str | None = None
    age: int | None = None
    pronouns: str | None = None
    caller: str = "self"  # who is on the line: the person at risk, a third party, or a professional
    role: str | None = None  # the professional's role ("police officer", "transferring service") or relation
    about: str | None = None  # whom a third-party or professional caller calls about ("her son")
    about_name: str | None = None
    opening: str = "speaks"  # how the call opens
    first_line: str | None = None  # the caller's first words, when stated
    risk: str = "not_stated"  # the caller's own suicidal ideation
    plan: str | None = None
    means: str | None = None
    timeline: str | None = None
    past_attempts: bool | None = None
    self_harm: bool | None = None
    homicidal: bool | None = None
    homicidal_target: str | None = None
    substances: tuple[str, ...] | None = None
    protective: str | None = None
    about_risk: str = "not_stated"  # the risk of the person a third party or professional calls about
    disclose_when_asked: bool | None = None  # the text says risk is disclosed only when asked directly
    story: str = ""
    sources: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        for name, allowed in (("risk", RISK_LEVELS), ("about_risk", RISK_LEVELS), ("caller", CALLERS),
                              ("opening", OPENINGS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"profile {name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.pronouns is not None and self.pronouns not in PRONOUNS:
            raise ValueError(f"profile pronouns must be one of {PRONOUNS}, got {self.pronouns!r}")
        if self.age is not None and not 5 <= self.age <= 120:
            raise ValueError(f"profile age out of range: {self.age}")
        bad = {k: v for k, v in self.sources.items() if k not in FIELD_NAMES or v not in SOURCES}
        if bad:
            raise ValueError(f"profile sources must map field names to one of {SOURCES}: {bad}")
        filled = {name: self.sources.get(name, "not_stated") for name in FIELD_NAMES}
        object.__setattr__(self, "sources", MappingProxyType(filled))

    def source(self, name: str) -> str:
        return self.sources[name]

    def stated(self, name: str) -> bool:
        return self.sources[name] != "not_stated"

    def with_fields(self, source: str, **values: Any) -> Profile:
        """A copy with ``values`` set, each recorded as coming from ``source``."""
        return replace(self, **values, sources={**self.sources, **dict.fromkeys(values, source)})

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in FIELD_NAMES}
        if out["substances"] is not None:
            out["substances"] = list(out["substances"])
        return out

    def summary(self) -> str:
        """One line for `scenarios import` and lists: the stated facts only."""
        parts = [f"name {self.caller_name or 'not stated'}"]
        if self.age is not None:
            parts.append(f"age {self.age}")
        if self.caller != "self":
            parts.append(f"{self.caller.replace('_', '-')}" + (f" ({self.role})" if self.role else "")
                         + (f" about {self.about}" if self.about else ""))
        parts.append(f"risk {self.risk.replace('_', ' ')}")
        if self.caller != "self" and self.about_risk != "not_stated":
            parts.append(f"their risk {self.about_risk}")
        if self.stated("plan"):
            parts.append("plan " + ("yes" if self.plan else "no"))
        if self.stated("means"):
            parts.append("means " + ("yes" if self.means else "no"))
        for name in ("self_harm", "homicidal", "past_attempts"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name.replace('_', ' ')} {'yes' if value else 'no'}")
        if self.opening != "speaks":
            parts.append(f"opens {self.opening.replace('_', '-')}")
        return ", ".join(parts)


FIELD_NAMES = tuple(f.name for f in fields(Profile) if f.name != "sources")
