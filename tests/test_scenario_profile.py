"""The caller profile read from trainers' free text: what is stated, negated, or not said.

Examples written for these tests (not taken from the benchmark's labelled set)."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest

from proto_trainer_tui.scenarios.profile import RISK_LEVELS, Profile
from proto_trainer_tui.scenarios.reader import read_profile, rules

RISK = [
    ("Deny SI/self-harm, discuss coping skills for work stress.", "none"),
    ("Caller denies suicidal thoughts. Wants to vent about her landlord.", "none"),
    ("No Risk. Practise open questions with a student stressed about exams.", "none"),
    ("You are not suicidal; you called because you can't sleep.", "none"),
    ("SI: denied. HI: denied. Caller is grieving her dog.", "none"),
    ("Had SI in 2012 after her divorce, none since; denies current SI.", "none"),
    ("You don't want to die, you just want the pain to stop being so loud.", "none"),
    ("You are a man who is stressed about exams.", "not_stated"),
    ("Caller lost his job last month and can't pay rent.", "not_stated"),
    ("Practise asking about suicide with a caller who is lonely.", "not_stated"),  # an instruction, not a fact
    ("Her brother died by suicide last spring; she wants to talk about him.", "not_stated"),
    ("Sometimes you wish you could go to sleep and not wake up.", "passive"),
    ("Passive SI, no plan, no intent. Lives with her mother.", "passive"),
    ("He says everyone would be better off dead... better off without him.", "passive"),
    ("Pt endorses SI, denies plan.", "active"),
    ("You have been thinking about killing yourself but you do NOT have a specific plan.", "active"),
    ("You are a woman who has thought about suicide but has no plan.", "active"),
    ("Denies SI but admits she has thought about ending her life this week.", "active"),
    ("You plan to overdose on your antidepressants.", "plan"),
    ("Has a plan to jump off the Harbour bridge.", "plan"),
    ("You are going to kill yourself tonight with the pills you saved.", "intent"),
    ("You have been stockpiling your sleeping pills and wrote a note to your sister.", "intent"),
    ("Has decided to end his life; he plans to hang himself in the garage.", "intent"),
]


@pytest.mark.parametrize(("text", "risk"), RISK)
def test_risk_level_is_what_the_text_states(text, risk):
    assert read_profile(text).risk == risk


@pytest.mark.parametrize(("text", "plan"), [
    ("You have thoughts of suicide but does NOT have a specific plan.", "no"),
    ("Active SI without plan.", "no"),
    ("He has a plan to overdose on his heart pills.", "yes"),
    ("You think about suicide a lot.", "not stated"),
    ("Mother calling because her son has a plan to shoot himself.", "not stated"),  # the son's plan
])
def test_plan_stated_denied_or_not_stated(text, plan):
    profile = read_profile(text)
    found = "not stated" if not profile.stated("plan") else ("yes" if profile.plan else "no")
    assert found == plan


@pytest.mark.parametrize(("text", "name"), [
    ("You are Sarah, a 34-year-old nurse.", "Sarah"),
    ("Name: Chris\nAge: 41\nRisk: none", "Chris"),
    ("Deny SI/self-harm, discuss coping skills. Name: Chris, 34.", "Chris"),  # a label after a sentence
    ("Caller is anxious; caller name - Sam. No risk.", "Sam"),
    ("Teen, 15. Name: Jay. Denies SI.", "Jay"),
    ("Her son died last year. Sarah, 45, calls about grief.", "Sarah"),  # the son is another sentence's
    ("Dimitrios, 34, recently divorced and drinking.", "Dimitrios"),
    ("My name is Alex and I'm nineteen.", "Alex"),
    ("A 24-year-old named Alex who lost his job.", "Alex"),
    ("You go by Sam, though your mother calls you Samantha.", "Sam"),
    ("Caller's name is Hope. She is 62.", "Hope"),
    ("You open with: \"Hi, it's Marco. I don't know why I called.\"", "Marco"),
    ("Caller (Theo, 27) is calling from his car.", "Theo"),
    ("You're playing Imani, a college junior.", "Imani"),
    ("You are Mrs. Okafor, a retired teacher.", "Mrs. Okafor"),
    ("You are Héctor, 58, a farmer.", "Héctor"),
    ("You are Dana Reyes, a paramedic who has been drinking.", "Dana Reyes"),
    ("You are lonely. Your only company is a cat named Biscuit.", None),
    ("You refuse to give a name. You call the REACH line most nights.", None),
    ("Mother calling about her son, Jake, who is using meth.", None),
    ("You are a widow; your husband Frank died in March.", None),
])
def test_stated_names_in_many_forms_and_no_invented_ones(text, name):
    assert read_profile(text).caller_name == name


def test_age_pronouns_and_story():
    profile = read_profile("You are a 52-year-old man named Daniel. Your divorce went through.")
    assert (profile.age, profile.pronouns, profile.caller_name) == (52, "he/him", "Daniel")
    assert read_profile("Pt is 34F, c/o anxiety.").age == 34
    assert read_profile("Caller found her neighbour collapsed. She can't sleep.").pronouns == "she/her"
    assert read_profile("You are worried about your 16-year-old son.").age is None  # the son's age
    assert read_profile("You are in your 40s.").age is None


@pytest.mark.parametrize(("text", "caller", "role"), [
    ("Mother calling about her 16-year-old son who has been talking about suicide.", "third_party", "mother"),
    ("You are calling about your best friend, who posted a goodbye message.", "third_party", None),
    ("You are a police officer calling about a man standing on a bridge.", "professional", "police officer"),
    ("ER social worker calling to consult about a patient who overdosed.", "professional", "ER social worker"),
    ("Group home staff member calling about a resident who is threatening to hurt himself.", "professional",
     "group-home staff"),
    ("911 dispatcher transferring a caller who is intoxicated and suicidal.", "professional", "dispatcher"),
    ("You are a 34-year-old nurse who has been thinking about suicide.", "self", None),  # an occupation
])
def test_who_is_calling(text, caller, role):
    profile = read_profile(text)
    assert (profile.caller, profile.role) == (caller, role)


def test_third_parties_risk_is_theirs_not_the_callers():
    profile = read_profile("Mother calling about her son, Jake, who has been talking about suicide. "
                           "She is not suicidal herself.")
    assert (profile.risk, profile.about_risk, profile.about_name) == ("none", "active", "Jake")
    friend = read_profile("You are Priya, calling about your friend. You do not know if she has a plan.")
    assert (friend.risk, friend.about_risk, friend.stated("plan")) == ("not_stated", "not_stated", False)


@pytest.mark.parametrize(("text", "opening"), [
    ("Caller is silent at first; when the counselor is patient she speaks.", "silent"),
    ("Silent call: only breathing on the line for the first minute.", "silent"),
    ("Hang-up call. The caller hangs up after the greeting.", "hang_up"),
    ("You hang up if the counselor pushes you about your family.", "speaks"),  # conditional, later
    ("Warm transfer from 911: the dispatcher introduces the caller.", "transfer"),
    ("You are a young man who wants to talk about his breakup.", "speaks"),
])
def test_how_the_call_opens(text, opening):
    assert read_profile(text).opening == opening


def test_homicidal_ideation_target_and_denial():
    angry = read_profile("You want to kill your stepfather for what he did to your sister. You own a rifle.")
    assert (angry.homicidal, angry.homicidal_target, angry.means) == (True, "your stepfather", "rifle")
    assert read_profile("Denies SI/HI.").homicidal is False
    assert read_profile("HI, I'M SO TIRED OF EVERYTHING").homicidal is None  # a greeting, not HI
    assert read_profile("Her ex threatened to kill her and she is scared.").homicidal is None  # his threat


def test_attempts_self_harm_substances_and_protective_factors():
    profile = read_profile("No history of attempts. Denies self-harm. Drinks a bottle of wine a night. "
                           "Her kids are her main reason for living.")
    assert (profile.past_attempts, profile.self_harm, profile.substances) == (False, False, ("alcohol",))
    assert profile.protective and "kids" in profile.protective
    assert read_profile("Attempted suicide by overdose in 2019; current SI.").past_attempts is True
    assert read_profile("Sober ten years; denies drugs.").substances == ()
    assert read_profile("Your husband drinks every night.").substances is None  # his drinking
    assert read_profile("She cuts herself when she is overwhelmed.").self_harm is True


def test_means_need_access_or_suicide_talk_and_a_place_is_not_a_means():
    assert read_profile("You take medication for your blood pressure.").means is None
    assert read_profile("You have thought about overdosing on your medication.").means == "medication"
    denied = read_profile("You are suicidal but have no access to firearms.")
    assert (denied.means, denied.stated("means")) == (None, True)
    assert read_profile("You think about jumping from the bridge.").means is None


def test_quoted_words_of_someone_else_are_not_the_callers():
    profile = read_profile('You are 15. Kids at school texted you "just kill yourself then". You feel alone.')
    assert profile.risk == "not_stated"


def test_what_the_text_does_not_say_is_not_stated():
    profile = read_profile("You are calling because your car broke down and you feel overwhelmed.")
    assert profile.risk == "not_stated"
    assert all(not profile.stated(name) for name in ("caller_name", "plan", "means", "homicidal", "self_harm",
                                                     "past_attempts", "substances", "age"))


def test_profile_rejects_unknown_values():
    with pytest.raises(ValueError):
        Profile(risk="maybe")
    with pytest.raises(ValueError):
        Profile(sources={"risk": "guess"})
    assert all(Profile(risk=level).risk == level for level in RISK_LEVELS)


def test_every_phrase_in_the_data_file_compiles_and_every_concept_has_patterns():
    raw = tomllib.loads((resources.files("proto_trainer_tui.scenarios") / "profile_phrases.toml").read_text())
    assert all(concept["patterns"] for concept in raw["concepts"].values())
    compiled = rules().compiled
    assert all(isinstance(p, re.Pattern) for patterns in compiled.values() for p in patterns)


def test_conditional_answers_hidden_risk_and_question_topics():
    hidden = read_profile("Caller will deny SI unless asked directly twice. She is 30 and her dog died.")
    assert (hidden.risk, hidden.disclose_when_asked) == ("active", True)
    asked = read_profile("Caller is a 45 year old father of two who lost his job. If the counselor asks about "
                         "suicide, he admits to passive SI.")
    assert (asked.risk, asked.age, asked.pronouns) == ("passive", 45, "he/him")
    assert read_profile("If asked about suicide, you deny it.").risk == "none"


def test_preparation_beside_ideation_is_intent_but_warning_signs_alone_are_not():
    dated = read_profile("Caller says he has been thinking about ending his life and has picked a date: Friday. "
                         "He has been giving away his tools.")
    assert dated.risk == "intent" and dated.plan
    worried = read_profile("Caller is worried about a coworker who has been giving away his tools.")
    assert (worried.risk, worried.about_risk) == ("not_stated", "not_stated")


def test_a_means_to_take_is_not_substance_use_and_a_possessive_is_not_the_caller():
    maria = read_profile("You are Maria, 52. You have been having thoughts of suicide. You have a bottle of "
                         "oxycodone left over from your mother's hospice care.")
    assert (maria.risk, maria.means, maria.substances) == ("active", "oxycodone", None)
    elena = read_profile("Elena's husband hit her last night. Elena (38) is hiding in the bathroom. "
                         "She does not want to die; she wants to know where to go.")
    assert (elena.caller_name, elena.age, elena.pronouns, elena.risk) == ("Elena", 38, "she/her", "none")


def test_a_parent_introduced_first_is_the_caller_and_better_off_without_you_is_yours():
    linda = read_profile('Mom (Linda, 45) reports her adult son (22) has been talking about "ending it" and '
                         "has a gun. Linda herself is not at risk.")
    assert (linda.caller_name, linda.age, linda.caller, linda.risk, linda.about_risk) == (
        "Linda", 45, "third_party", "none", "active")
    assert linda.means is None  # the son's gun
    mother = read_profile("You are a 35-year-old mother of three. You sometimes think your kids would be "
                          "better off without you.")
    assert (mother.risk, mother.pronouns) == ("passive", "she/her")


def test_only_suicide_attempts_count_and_professionals_pronouns_are_their_own():
    silent = read_profile("Caller says nothing. After the counselor's third attempt, a woman says she wanted a voice.")
    assert silent.past_attempts is None and silent.opening == "silent"
    assert read_profile("No prior attempts. Pt has never attempted.").past_attempts is False
    assert read_profile("One previous attempt by overdose in 2019.").past_attempts is True
    officer = read_profile("Police officer on scene with a suicidal male who is barricaded with a firearm.")
    assert (officer.caller, officer.pronouns, officer.risk, officer.about_risk) == (
        "professional", None, "not_stated", "active")
    transfer = read_profile("Transfer from 988: the 988 counselor says the caller is a 50-year-old man with "
                            "suicidal thoughts and a plan to crash his car.")
    assert (transfer.caller, transfer.opening, transfer.about_risk) == ("professional", "transfer", "plan")


@pytest.mark.parametrize(("text", "risk", "plan", "homicidal"), [
    ("Pt denies SI, HI, AVH. Here for med refill.", "none", "not stated", False),
    ("Client reports SI x 2 weeks, passive in nature. No plan.", "passive", "no", None),
    ("SI w/o plan/intent. Recently divorced.", "active", "no", None),
    ("Endorses SI with plan to OD on Tylenol. Has bottle at home.", "plan", "yes", None),
])
def test_terse_clinical_notes(text, risk, plan, homicidal):
    profile = read_profile(text)
    found_plan = "not stated" if not profile.stated("plan") else ("yes" if profile.plan else "no")
    assert (profile.risk, found_plan, profile.homicidal) == (risk, plan, homicidal)


def test_a_role_play_brief_with_a_method_thought_about_and_no_plan():
    rick = read_profile("SCENARIO: Caller is a 40-year-old male named Rick. He has been drinking heavily. If the "
                        "counselor asks about suicide, Rick says he has thought about driving his truck off the "
                        "road, but he would not do it because of his daughter. He does not have a specific plan.")
    assert (rick.caller_name, rick.age, rick.risk, rick.plan, rick.stated("plan")) == ("Rick", 40, "active", None, True)
    assert rick.substances == ("alcohol",) and "daughter" in rick.protective
    assert read_profile("Persona: Keisha, 27. Risk: none stated; she is focused on shelter.").risk == "not_stated"
    wife = read_profile("A man calls saying his wife took a bunch of pills about 20 minutes ago.")
    assert (wife.caller, wife.about, wife.about_risk, wife.risk) == ("third_party", "his wife", "intent", "not_stated")


@pytest.mark.parametrize(("text", "about"), [
    ("You are Officer Dan Reyes, a police officer calling the crisis line about a man on a bridge.", "a man"),
    ("Mom calling about her 16-year-old son who stopped eating.", "her 16-year-old son"),
])
def test_whom_a_third_party_calls_about_stops_at_a_preposition(text, about):
    from proto_trainer_tui.scenarios.people import about_whom

    assert about_whom(text) == about
