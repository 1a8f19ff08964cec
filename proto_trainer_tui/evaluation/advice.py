"""Words of the offline report: summary, key learning objective, recommendations, reflection prompts.

Chosen from the markers and flags, gaps first, in the order a trainer would raise them.
"""

from __future__ import annotations

from .report import Flag, Recommendation, RiskCoverage, SkillMarker

# skill -> (advice, an alternative phrasing, key learning objective, self-reflection prompt)
_BY_SKILL = {
    "direct_suicide_inquiry": (
        "Ask about suicide directly, in plain words, early enough to follow up on the answer.",
        "With everything you're carrying, I want to ask you directly: are you thinking about suicide?",
        "Ask every caller directly about suicide, calmly and in plain words.",
        "What made it hard to ask about suicide directly? What would help you ask next time?",
    ),
    "risk_follow_up": (
        "Once risk is disclosed, follow up on each part: plan, means, timeline, past attempts, reasons for living.",
        "Have you thought about how you would do it? ... Do you have access to that now? ... What has kept you "
        "going so far?",
        "Follow a disclosure of suicidal thoughts with plan, means, timeline, past attempts and reasons for living.",
        "After the caller said yes, what did you want to know most, and did you ask it?",
    ),
    "safety_planning": (
        "Build the plan together rather than telling the caller what to do: ask what would help and who they can reach.",
        "Can we work out together what would help you get through tonight, and who you could reach out to?",
        "Make a safety plan with the caller, in their words, before the call ends.",
        "Whose plan was it at the end of the call: yours or the caller's?",
    ),
    "means_safety": (
        "Talk about putting the means out of reach, as part of the plan.",
        "Would you be willing to get the pills out of the house tonight, maybe give them to someone you trust or "
        "back to the pharmacy?",
        "Make means safety part of every plan when a method is disclosed.",
        "What did you know about the caller's means, and what changed about them by the end of the call?",
    ),
    "reflections": (
        "Reflect what you heard before asking the next question; aim for two reflections per question.",
        "It sounds like you've been carrying this on your own for a long time.",
        "Lead with reflections: at least one reflection for every question, and name the feeling.",
        "Which moment did the caller seem most heard, and what had you said just before?",
    ),
    "open_questions": (
        "Use open questions that invite the caller's story rather than a yes or a no.",
        "What has that been like for you?",
        "Open the conversation with open questions and follow the caller's lead.",
        "Which of your questions got the longest answers, and why?",
    ),
    "summarising": (
        "Summarise what you have heard at least once, and check it with the caller.",
        "Let me check I've understood: ... Did I get that right?",
        "Summarise and check understanding before moving to planning.",
        "What would your summary of this caller's story have been, in three sentences?",
    ),
    "opening": (
        "Open with the service, your name, and an open invitation to talk.",
        "Crisis line, this is Sam. I'm glad you called. What's going on for you tonight?",
        "Open every call with who you are and an open invitation to talk.",
        "How do you think the caller felt in the first ten seconds of the call?",
    ),
    "resources": (
        "Offer a resource or a way back to help that fits what the caller needs.",
        "If things get harder tonight, you can call us back any time, day or night.",
        "Leave the caller with a concrete way back to help.",
        "What would the caller do if things got worse an hour after the call?",
    ),
    "closing": (
        "Close warmly: check how the caller feels now, and leave the door open.",
        "Before we end, how are you feeling now compared to when you called? You can call back any time.",
        "End calls with a check-in and an open door.",
        "How did the call end for the caller, and was that the ending you wanted?",
    ),
}
_BY_FLAG = {
    "boundary_breach": (
        "Keep to the service's boundaries: no personal contact details, no meeting in person, no promise of secrecy.",
        "I can't meet you myself, but you can call this line any time, and we can work out who could be with you "
        "tonight.",
        "Hold the boundaries of the role: help through the service, be honest about confidentiality and its limits.",
        "What pulled you towards offering more than the service can give, and what could you offer instead?",
    ),
    "late_risk_inquiry": (
        "Ask about suicide as soon as you hear a cue such as 'I don't see the point', not near the end of the call.",
        "When you say you don't see the point, I want to ask you directly: are you thinking about suicide?",
        "Ask directly about suicide as soon as the caller gives a cue.",
        "What did the caller say early on that could have led you to ask about suicide, and what held you back?",
    ),
    "dismissive": (
        "Validate before anything else; minimising or arguing closes the caller down.",
        "It makes sense that this feels overwhelming. Tell me more about what it's like.",
        "Stay with the caller's feelings instead of minimising or correcting them.",
        "Where did you move to reassurance or advice before the caller felt understood?",
    ),
    "leading_question": (
        "Ask about risk neutrally; a question shaped for a 'no' gets a 'no'.",
        "Are you thinking about suicide?",
        "Ask risk questions neutrally, never shaped to get a 'no'.",
        "How might the caller have heard your question about risk?",
    ),
}
# Follow-up questions by risk topic, for the alternative phrasing.
FOLLOW_UP_QUESTIONS = {
    "plan": "Have you thought about how you would do it?",
    "means": "Do you have access to what you would use?",
    "timeline": "When were you thinking of doing it?",
    "past_attempts": "Have you ever tried to end your life before?",
    "protective": "What has kept you going so far?",
    "self_harm": "Are you hurting yourself at the moment? When was the last time?",
}
_STRETCH = (
    Recommendation(advice="Cover the C-SSRS topics you did not ask about, such as intent to act.",
                   try_saying="Do you think you might act on these thoughts?", about="cssrs"),
    Recommendation(advice="Try double-sided reflections to hold the caller's ambivalence.",
                   try_saying="Part of you wants the pain to stop, and part of you picked up the phone tonight.",
                   about="double_sided_reflections"),
    Recommendation(advice="Check in on how the caller feels at the end compared with the start.",
                   try_saying="How are you feeling now, compared to when you called?", about="closing"),
    Recommendation(advice="Name the caller's strengths out loud: an affirmation of what they did to get through.",
                   try_saying="You kept yourself safe tonight by picking up the phone; that took real strength.",
                   about="affirmation"),
    Recommendation(advice="Leave room after the hardest moments: a pause lets the caller say more.",
                   try_saying="(After a disclosure, wait a few seconds before you speak.) Take your time.",
                   about="pacing"),
    Recommendation(advice="End with the caller's own words: ask what they will take from the call.",
                   try_saying="Before we finish, what's one thing you'll hold on to from tonight?", about="takeaway"),
)
_ORDER = ("direct_suicide_inquiry", "risk_follow_up", "means_safety", "safety_planning", "reflections",
          "open_questions", "summarising", "opening", "resources", "closing")


def _gaps(markers: list[SkillMarker]) -> list[SkillMarker]:
    by_skill = {m.skill: m for m in markers}
    return [by_skill[s] for s in _ORDER if s in by_skill and by_skill[s].status in ("missed", "partial")]


def recommendations(
    markers: list[SkillMarker], flags: list[Flag], risk: RiskCoverage, quotes: dict[str, tuple[int, str]],
    missing_follow_ups: tuple[str, ...] = (), double_sided: bool = False, screened_out: bool = False,
) -> list[Recommendation]:
    """Gaps first (flags, then skills in _ORDER), topped up with stretch goals to at least two.
    ``screened_out``: the caller said no to the suicide question, so the C-SSRS skips the rest."""
    found: list[Recommendation] = []
    kinds = {flag.kind for flag in flags}
    for kind in ("boundary_breach", "dismissive", "late_risk_inquiry", "leading_question"):
        if kind in kinds:
            turn, quote = quotes.get({"dismissive": "dismissive", "leading_question": "leading"}.get(kind, ""), (None, ""))
            text, phrase, _, _ = _BY_FLAG[kind]
            found.append(Recommendation(advice=text, instead_of=quote, try_saying=phrase, turn=turn, about=kind))
    for marker in _gaps(markers):
        text, phrase, _, _ = _BY_SKILL[marker.skill]
        turn, quote = None, ""
        if marker.skill == "direct_suicide_inquiry" and "indirect" in quotes:
            turn, quote = quotes["indirect"]
        elif marker.skill in ("open_questions", "reflections") and "closed_question" in quotes:
            turn, quote = quotes["closed_question"]
        elif marker.skill == "safety_planning" and marker.note.startswith("a plan was offered"):
            text = "Check the caller agrees to at least one concrete step before the call ends, in their own words."
            phrase = "Which of these feels doable tonight? ... So you'll ask your brother to hold the pills. Is that right?"
        elif marker.skill == "safety_planning" and "advice" in quotes:
            turn, quote = quotes["advice"]
        elif marker.skill == "risk_follow_up" and missing_follow_ups:
            text = f"Follow up the disclosure: you did not ask about {marker.note.removeprefix('missing: ')}."
            phrase = " ... ".join(FOLLOW_UP_QUESTIONS[topic] for topic in missing_follow_ups)
        if quote and any(rec.instead_of == quote for rec in found):
            turn, quote = None, ""  # one line is never the line to replace twice
        found.append(Recommendation(advice=text, instead_of=quote, try_saying=phrase, turn=turn, about=marker.skill))
    # A strong call still gets two recommendations: stretch goals beyond the rubric, never one already done.
    for extra in _stretch(markers, risk, double_sided, screened_out):
        if len(found) >= 2:
            break
        found.append(extra)
    return found[:6]


def _stretch(markers: list[SkillMarker], risk: RiskCoverage, double_sided: bool,
             screened_out: bool = False) -> list[Recommendation]:
    shown = {m.skill for m in markers if m.status == "shown"}
    unasked = [item.label.split(". ", 1)[-1].lower() for item in risk.cssrs if not item.asked]
    found = []
    if unasked and risk.asked_directly and not screened_out:
        found.append(Recommendation(advice=f"Cover the C-SSRS topics you did not ask about: {', '.join(unasked[:3])}.",
                                    try_saying=_CSSRS_QUESTIONS.get(unasked[0], _STRETCH[0].try_saying), about="cssrs"))
    if not double_sided:
        found.append(_STRETCH[1])
    if "closing" not in shown:
        found.append(_STRETCH[2])
    found += _STRETCH[3:]
    return found


_CSSRS_QUESTIONS = {
    "wish to be dead": "Have you wished you were dead, or wished you could go to sleep and not wake up?",
    "thoughts of method": "Have you thought about how you might do this?",
    "intent to act": "Do you think you might act on these thoughts?",
    "plan (details worked out)": "Have you started to work out the details of how you would do it?",
    "preparatory behaviour or attempt, and when": "Have you ever done anything, started to do anything, or "
                                                 "prepared to do anything to end your life?",
}


def key_objective(markers: list[SkillMarker], flags: list[Flag]) -> str:
    kinds = {flag.kind for flag in flags}
    gaps = _gaps(markers)
    if "boundary_breach" in kinds:
        return _BY_FLAG["boundary_breach"][2]
    if gaps and gaps[0].skill in ("direct_suicide_inquiry", "risk_follow_up", "means_safety"):
        return _BY_SKILL[gaps[0].skill][2]
    if "dismissive" in kinds:
        return _BY_FLAG["dismissive"][2]
    if gaps:
        return _BY_SKILL[gaps[0].skill][2]
    return "Keep the structure you used, and deepen it with more complex reflections."


def reflection_prompts(markers: list[SkillMarker], flags: list[Flag]) -> list[str]:
    kinds = {flag.kind for flag in flags}
    prompts = [_BY_FLAG[k][3] for k in ("boundary_breach", "dismissive", "late_risk_inquiry", "leading_question")
               if k in kinds]
    prompts += [_BY_SKILL[m.skill][3] for m in _gaps(markers)]
    prompts.append("If you could replay one moment of this call, which would it be, and what would you say?")
    return list(dict.fromkeys(prompts))[:3]


_GRADE_WORDS = {"A": "An exceptional call", "B": "A solid call", "C": "A call with clear gaps", "D": "A weak call",
                "F": "A call that falls short of the basics"}


_ATTEMPTS = {
    "grade_manipulation": "tried to talk the grader into a grade",
    "instruction_reveal": "tried to get the caller to reveal or drop its instructions",
    "break_character": "tried to make the caller step out of the role",
}


def summary(grade: str, markers: list[SkillMarker], risk: RiskCoverage, any_turns: bool, flags: list[Flag] = ()) -> str:
    if not any_turns:
        return "There are no counselor turns to evaluate."
    shown = [m.label.lower() for m in markers if m.status == "shown"]
    gaps = [m.label.lower() for m in _gaps(markers)]
    parts = [f"{_GRADE_WORDS[grade]} ({grade})."]
    if risk.asked_directly:
        parts.append(f"Suicide was asked about directly at turn {risk.first_asked_turn}.")
    else:
        parts.append("Suicide was never asked about directly.")
    if shown:
        parts.append("Strengths: " + ", ".join(shown[:3]) + ".")
    if gaps:
        parts.append("Main gaps: " + ", ".join(gaps[:3]) + ".")
    for flag in flags:
        if flag.kind == "boundary_breach":
            parts.append(f"Boundary breach at turn {flag.turn}.")
            break
    attempts = [f for f in flags if f.kind in _ATTEMPTS]
    if attempts:
        named = "; ".join(f"turn {f.turn} {_ATTEMPTS[f.kind]}" for f in attempts)
        parts.append(f"Manipulation attempt: {named}. Such lines were left out of the grade.")
    return " ".join(parts)
