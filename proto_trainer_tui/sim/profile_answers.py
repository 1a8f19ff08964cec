"""What the offline caller says about the facts of its profile (pure).

``profile_answer_key`` picks the table and key in ``caller_lines.toml`` for a question on a topic
(suicide, plan, means, timeline, past attempts, self-harm, homicidal thoughts, name), as the profile
states it: a stated fact is answered, a denial is a denial, and what is not stated is deflected in
character. Third parties and professionals answer as themselves, or about the person they call about.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources

from proto_trainer_tui.scenarios.profile import Profile


def transferred_caller(profile: Profile) -> Profile:
    """The person a transferring professional hands over: their risk and name become the caller's."""
    facts = {"caller": "self", "role": None, "about": None, "about_name": None, "about_risk": "not_stated",
             "caller_name": profile.about_name, "risk": profile.about_risk}
    return profile.with_fields(profile.source("about_risk"), **facts)


@functools.lru_cache(maxsize=1)
def profile_lines() -> dict[str, dict[str, list[str]]]:
    """caller_lines.toml: what the caller says about each fact of its profile."""
    return tomllib.loads((resources.files(__package__) / "caller_lines.toml").read_text(encoding="utf-8"))


_AT_RISK = ("passive", "active", "plan", "intent")


def _flag_key(value: bool | None) -> str:
    return "not_stated" if value is None else ("yes" if value else "no")


def profile_answer_key(profile: Profile, topic: str, about_other: bool = False) -> tuple[str, str]:
    """(table, key) in caller_lines.toml for a question on ``topic``, as the profile states it.

    Pure, so the benchmark and tests can check which answer a profile gives.
    """
    if profile.caller != "self":
        if topic == "name":
            return "name", "professional_stated" if profile.caller == "professional" and profile.caller_name \
                else ("stated" if profile.caller_name else ("professional_not_stated" if profile.caller ==
                                                             "professional" else "not_stated"))
        if about_other or topic in ("plan", "means", "timeline", "past_attempts"):
            if topic == "suicide":
                state = profile.about_risk
                return "about_suicide", "yes" if state in _AT_RISK else state
            if topic == "plan":
                state = profile.about_risk
                return "about_plan", ("yes" if state in ("plan", "intent") else
                                      "not_stated" if state != "none" else "no")
            return "about_suicide", "not_stated"
        if topic == "suicide" and profile.risk not in _AT_RISK:
            if profile.caller == "professional":
                return "suicide", "professional"
            return "suicide", "third_party_none" if profile.risk == "none" else "third_party_not_stated"
    if topic == "name":
        return "name", "stated" if profile.caller_name else "not_stated"
    if topic == "suicide":
        return "suicide", profile.risk
    if topic == "plan":
        if profile.stated("plan"):
            return "plan", "yes" if profile.plan else "no"
        if profile.risk in ("plan", "intent"):
            return "plan", "yes"
        return "plan", "none" if profile.risk == "none" else "not_stated"
    if topic == "means":
        if profile.stated("means"):
            return "means", "yes" if profile.means else "no"
        if profile.stated("plan") and not profile.plan:
            return "means", "none"  # no plan stated: nothing set aside either, not a secret to deflect
        return "means", "none" if profile.risk == "none" else "not_stated"
    if topic == "timeline":
        if profile.timeline:
            return "timeline", "yes"
        return "timeline", "no" if profile.risk in ("none", "passive") and profile.stated("risk") else "not_stated"
    if topic in ("past_attempts", "self_harm", "homicidal"):
        return topic, _flag_key(getattr(profile, topic))
    raise ValueError(f"no profile answer for topic {topic!r}")


def in_callers_words(phrase: str | None) -> str:
    """"her 16-year-old son" as the caller says it: "my 16-year-old son"."""
    if not phrase:
        return "someone"
    return re.sub(r"^(?:her|his|their|your)\b", "my", phrase.strip())
