"""The offline caller answers the question asked: topics, safety planning, no repeats, seeds (issue 14)."""

from __future__ import annotations

import re

import pytest

from proto_trainer_tui.scenarios import get_scenario, load_library
from proto_trainer_tui.scenarios.model import Scenario
from proto_trainer_tui.sim.caller import CallerEngine, generic, glue, persona_group, profile_lines
from proto_trainer_tui.sim.facts import first_person, story_facts
from proto_trainer_tui.sim.lines import answer_lines, fill_values
from proto_trainer_tui.sim.moves import GAP, Move, classify, phrases, primary_move

HELLO = "Hi, this is Alex at the crisis line."


def caller(scenario_id: str, seed: int = 0) -> CallerEngine:
    engine = CallerEngine(get_scenario(scenario_id), seed=seed)
    engine.reply(HELLO)
    return engine


def spoken(text: str) -> str:
    """As speech recognition gives it: lowercase, no punctuation."""
    return re.sub(r"[^\w' ]+", " ", text.lower())


PHRASINGS = {
    Move.DURATION: ["How long have you been feeling this way?", "When did this all begin?",
                    "How many weeks has it been like this?", "Since when has it been this hard?"],
    Move.AGE: ["How old are you, if you don't mind me asking?", "How old is your son?", "What age is she?"],
    Move.WHO: ["Who's Nina?", "Who is Harold?", "Sorry, who was Pete again?"],
    Move.WORK: ["What do you do for a living?", "Are you working at the moment?", "How's your job going?"],
    Move.FEELINGS: ["How are you feeling right now?", "How do you feel about that?", "How's your mood today?"],
    Move.SUICIDE_INQUIRY: [
        "Sometimes when people feel this low they think about ending their life. Is that true for you?",
        "When you say you want it all to stop, do you mean you've thought about dying?",
        "Are you having thoughts of ending things?"],
    Move.MEANS: ["Is there anything at home you could use?", "Have you been stockpiling tablets?"],
    Move.TIMELINE: ["Have you thought about when?", "Have you picked a day?", "Were you going to do it tonight?"],
    Move.MEANS_SAFETY: ["Would you be willing to give the pills to someone until the weekend is over?",
                        "Could you lock the medication away?", "Could your brother hold on to the pills for now?",
                        "Could you take the tablets to a pharmacy?"],
    Move.OFFER_HELP: ["Could we make a safety plan together for tonight and this weekend?",
                      "Could we make a plan together to keep you safe tonight?"],
    Move.WHO_TO_CALL: ["Who could you call if it gets worse?", "Is there someone you could ring tonight?",
                       "Could you phone your sister later?"],
    Move.COPING: ["What helps you cope when it gets bad?", "What could you do tonight to distract yourself?"],
    Move.CALL_BACK: ["Would you call us back if things get worse?", "Will you ring again tomorrow?"],
    Move.EMERGENCY: ["If you can't stay safe, would you call 911?", "Would you go to the emergency room?"],
    Move.GROUNDING: ["Let's breathe together, in for four.", "Can you feel your feet on the floor?",
                     "Name five things you can see around you."],
    Move.CONFIDENTIALITY: ["This call is confidential.", "We can't trace your call, you can stay anonymous.",
                           "Nobody will know you called."],
}


@pytest.mark.parametrize("move, text", [(m, t) for m, ts in PHRASINGS.items() for t in ts])
def test_many_phrasings_typed_and_as_speech(move, text):
    assert primary_move(classify(text)) is move, text
    assert primary_move(classify(spoken(text))) is move, spoken(text)


def test_every_phrase_in_the_data_is_heard_as_its_own_move():
    for move, items in phrases().items():
        for phrase in items:
            text = phrase.replace(GAP, "them")
            assert move in classify(text) or move is Move.WHO, (move, phrase)


def test_who_is_someone_is_not_who_is_there_for_you():
    assert primary_move(classify("Who is Michael?")) is Move.WHO
    assert Move.WHO not in classify("Who is there for you at home?")
    assert primary_move(classify("Who is this?")) is Move.NAME


# --- answers per topic -----------------------------------------------------


def test_how_long_gets_a_duration_not_the_next_story_line():
    reply = caller("plan-and-means").reply("How long has this been happening?")
    assert "two months" in reply


def test_ages_of_people_named_and_of_the_caller():
    assert "14" in caller("plan-and-means").reply("How old is Emma?")
    assert "52" in caller("plan-and-means").reply("How old are you?")
    assert "nine" in caller("substance-use-relapse").reply("How old is your daughter?")
    not_said = caller("declines-demographics").reply("How old are you?")
    assert not_said in answer_lines("story", "age_self_not_stated", "declines-demographics")


def test_who_someone_is_from_the_story():
    assert "son" in caller("sudden-loss-grief").reply("Who is Michael?")
    assert "husband" in caller("sudden-loss-grief").reply("Who's Harold?")
    unknown = caller("sudden-loss-grief").reply("Who is Bartholomew?")
    assert unknown in answer_lines("story", "who_unknown", "sudden-loss-grief")  # in Ruth's own words


def test_work_from_the_brief_in_the_callers_words():
    assert "electrician" in caller("substance-use-relapse").reply("What do you do for work?")
    assert "teacher" in caller("sudden-loss-grief").reply("What did you do for work?")


def test_brief_turned_into_the_callers_words():
    assert first_person("Your divorce was finalised two months ago") == "My divorce was finalised two months ago."
    assert first_person("Drawing helps you cope") == "Drawing helps me cope."
    assert first_person("you are scared of losing your job") == "I'm scared of losing my job."
    assert first_person("he pushed you into a door and you bruised your arm") == (
        "He pushed me into a door and I bruised my arm.")


def test_money_running_out_is_no_way_of_coping():
    assert story_facts(get_scenario("first-call-passive-thoughts")).clauses("coping") == ()
    assert any("running club" in c for c in story_facts(get_scenario("panic-attack-at-work")).clauses("coping"))


def test_story_facts_leave_out_risk_and_role_play_instructions():
    facts = story_facts(get_scenario("plan-and-means"))
    told = " ".join(c for topic in facts.topics.values() for c in topic).lower()
    assert "pills" not in told and "weekend" not in told and "counselor" not in told


# --- unrecognised and risk questions imply nothing ----------------------------


@pytest.mark.parametrize("scenario", ["sudden-loss-grief", "repeat-caller-resists-ending", "panic-attack-at-work"])
def test_no_means_and_no_risk_never_sound_like_yes(scenario):
    means = caller(scenario).reply("Is there anything at home you could use?").lower()
    when = caller(scenario).reply("Have you thought about when?").lower()
    for reply in (means, when):
        assert not re.search(r"\b(i think so|maybe|yes|yeah)\b", reply), reply


def test_unrecognised_yes_no_questions_are_non_committal():
    for group in ("adult", "older", "young"):
        for line in generic("closed_question", group):
            assert not re.search(r"\b(yes|yeah|i think so|maybe|sort of|kind of)\b", line.lower()), line


def test_indirect_suicide_question_is_answered_per_profile():
    question = "Sometimes when people feel this low they think about ending their life. Is that true for you?"
    planning = caller("plan-and-means")
    assert planning.reply(question) and "thoughts" in planning.disclosed
    assert caller("panic-attack-at-work").reply(question).lower().startswith("no")


# --- safety planning, grounding, confidentiality -----------------------------

GIVE_PILLS = "Would you be willing to give the pills to someone until the weekend is over?"


def test_giving_the_means_away_depends_on_mood():
    warm = caller("plan-and-means")
    warm.reply("That sounds so lonely, I'm really glad you called.")
    agreed = warm.reply(GIVE_PILLS)
    assert agreed in fill_values(answer_lines("help.means_safety", "agree", "plan-and-means"),
                                 {"help": "someone", "them": "them"})
    cold = caller("plan-and-means")
    cold.reply("Calm down, you just need to think positive.")
    assert cold.reply(GIVE_PILLS) in answer_lines("help.means_safety", "refuse", "plan-and-means")


def test_the_means_handed_over_is_it_or_them():
    from proto_trainer_tui.sim.lines import pronoun_for as _pronoun_for

    assert _pronoun_for("A full bottle of saved sleeping pills in the bathroom cabinet.") == "them"
    assert _pronoun_for("His gun in the bedroom closet") == "it"


def test_a_caller_with_no_means_says_there_is_nothing_to_give():
    nothing = answer_lines("help.means_safety", "nothing", "first-call-passive-thoughts")
    assert caller("first-call-passive-thoughts").reply(GIVE_PILLS) in nothing


def test_the_help_offered_is_a_support_the_profile_names():
    engine = caller("domestic-violence-unsure")
    engine.reply("It took courage to call, and it makes sense you feel torn.")
    reply = engine.reply("Who could you call tonight?")
    assert "Claire" in reply and "Mark" not in reply


def test_a_third_party_never_offers_the_person_they_call_about_as_help():
    engine = caller("worried-about-a-friend")
    engine.reply("You're doing the right thing calling, that sounds so frightening.")
    for question in (GIVE_PILLS, "Who could you call tonight?"):
        assert "Sofia" not in engine.reply(question)


def test_safety_plan_offer_is_not_the_timeline_line():
    engine = caller("plan-and-means")
    replies = [engine.reply("Could we make a safety plan together for tonight and this weekend?") for _ in range(3)]
    assert not any("This weekend, I thought" in r for r in replies)
    assert len(set(replies)) == 3


def test_who_to_call_names_only_people_in_the_story():
    engine = caller("first-call-passive-thoughts")
    engine.reply("I'm really glad you reached out, that sounds so hard.")
    reply = engine.reply("Who could you call tonight?")
    assert "Nina" in reply


def test_confidentiality_reassures_the_caller_who_fears_a_trace():
    engine = caller("declines-demographics")
    before = engine.mood
    reply = engine.reply("This call is confidential and we can't trace it.")
    assert engine.mood > before and reply != "Yeah, hi."


def test_grounding_is_answered_by_the_panicking_caller():
    reply = caller("panic-attack-at-work").reply("Let's breathe together. In for four, and out for four.")
    own = [line for stance in ("agree", "bargain")
           for line in answer_lines("help.grounding", stance, "panic-attack-at-work")]
    assert reply in own


def test_a_caller_never_mentions_what_only_the_brief_holds():
    engine = caller("repeat-caller-resists-ending")
    said = [engine.reply(t) for t in ("Could you try something new this week?", "Would you be willing to try that?",
                                      "Okay, we need to wrap up now. Take care.", "Goodbye, Walter.")]
    assert not any("lunch club" in reply.lower() for reply in said)


# --- no verbatim repeats, persona lines, lead-ins, seeds ---------------------

LONG_CALL = [
    "What's going on?", "Tell me more.", "That sounds hard.", "Mm.", "Okay.", "Do you live alone?",
    "How long has this been happening?", "Are you thinking of suicide?", "Are you thinking of suicide?",
    "Is there anything at home you could use?", "Could we make a safety plan together?", "Who could you call?",
    "Have you thought about when?", "What helps you cope?", "Right.", "I see.",
]


@pytest.mark.parametrize("scenario", load_library(), ids=lambda s: s.id)
def test_no_reply_is_said_twice_in_a_long_call(scenario):
    engine = CallerEngine(scenario, seed=11)
    replies = [engine.reply(HELLO)] + [engine.reply(LONG_CALL[i % len(LONG_CALL)]) for i in range(120)]
    said = [r for r in replies if r]
    assert len(said) == len(set(said))


def test_everyday_lines_are_written_per_persona():
    assert persona_group(71) == "older" and persona_group(16) == "young" and persona_group(34) == "adult"
    for key in ("empathy", "open_more", "unknown", "offer_help", "closing"):
        # Interjections ("Mm.") are anyone's; sentences are the persona's own.
        older, young, adult = ({line for line in generic(key, g) if len(line.split()) > 2}
                               for g in ("older", "young", "adult"))
        assert not older & young and not older & adult and not young & adult, key


def test_lead_ins_glue_into_one_sentence():
    assert glue("Yeah. Again,", "Sometimes I can't sleep.") == "Yeah. Again, sometimes I can't sleep."
    assert glue("It's more that", "Things have been hard.") == "It's more that things have been hard."
    assert glue("Like I said,", "I'm tired.") == "Like I said, I'm tired."
    assert glue("Like I said,", "Emma's fourteen.", frozenset({"Emma"})) == "Like I said, Emma's fourteen."
    assert glue("Um.", "Things are bad.") == "Um. Things are bad."


def test_every_line_fills_for_every_scenario():
    for scenario in load_library():
        engine = CallerEngine(scenario)
        for table in ("story",):
            for key in profile_lines()[table]:
                for line in profile_lines()[table][key]:
                    assert "{" not in engine._fill(line).replace("{person}", "").replace("{relation}", "").replace(
                        "{age}", ""), line
        for move in ("means_safety", "who_to_call", "call_back", "emergency", "grounding", "confidentiality"):
            assert "{" not in engine._help_answer(Move(move), "")


@pytest.mark.parametrize("seed", [1, 99])
def test_same_seed_same_call_other_seed_other_words(seed):
    scenario = get_scenario("first-call-passive-thoughts")
    script = [HELLO, *LONG_CALL, *LONG_CALL]
    a, b = CallerEngine(scenario, seed), CallerEngine(scenario, seed)
    first = [a.reply(t) for t in script]
    assert first == [b.reply(t) for t in script]
    other = CallerEngine(scenario, seed + 1)
    assert [other.reply(t) for t in script] != first


def test_free_text_scenarios_get_story_answers_too():
    scenario = Scenario.from_prompt("You are a 40-year-old nurse named Sam. Your father died six weeks ago. "
                                    "Your friend Jo checks in on you.")
    engine = CallerEngine(scenario)
    engine.reply(HELLO)
    assert "friend" in engine.reply("Who is Jo?")
    assert "six weeks" in engine.reply("How long ago did he die?")


def test_each_call_gets_a_random_seed_unless_one_is_given():
    from proto_trainer_tui.cli import build_parser
    from proto_trainer_tui.sim.server import SimServer

    assert SimServer("token", seed=7).call_seed() == 7
    assert len({SimServer("token").call_seed() for _ in range(5)}) > 1
    assert build_parser().parse_args(["serve", "--seed", "5"]).seed == 5
    assert build_parser().parse_args(["--caller-seed", "3"]).caller_seed == 3


def test_caller_seed_config_key(tmp_path):
    from proto_trainer_tui.config import ConfigError, load_settings

    config = tmp_path / "config.toml"
    config.write_text("caller_seed = 4\n")
    assert load_settings(env={}, path=config).caller_seed == 4
    config.write_text('caller_seed = "x"\n')
    with pytest.raises(ConfigError):
        load_settings(env={}, path=config)


def test_a_yes_no_question_about_the_story_gets_the_story_fact():
    engine = caller("plan-and-means")
    assert "kids" in engine.reply("Do you have kids?")
    assert engine.reply("Do you like football?") in engine._generic("closed_question")


def test_how_long_about_a_risk_fact_adds_the_span_once_disclosed():
    engine = caller("teen-self-harm")
    reply = engine.reply("How long have you been hurting yourself?")
    assert "self_harm" in engine.disclosed and "six months" in reply
    denied = caller("plan-and-means")
    assert "self_harm" not in denied.disclosed
    assert "month" not in denied.reply("How long have you been hurting yourself?")
