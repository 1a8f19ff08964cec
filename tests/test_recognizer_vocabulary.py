"""The recogniser's language model: the counselor corpus, and the words each scenario adds."""

from __future__ import annotations

import asyncio
import re

from proto_trainer_tui.scenarios import get_scenario, load_library
from proto_trainer_tui.sim import counselor_corpus
from proto_trainer_tui.sim.counselor_corpus import person_templates, scenario_sentences, spoken_form
from proto_trainer_tui.sim.listening import Listener, RecognizerPool


def test_every_corpus_sentence_is_in_spoken_form():
    sentences = counselor_corpus.sentences()
    assert len(sentences) > 300
    for sentence in sentences:
        assert sentence == spoken_form(sentence), sentence


def test_every_person_template_names_one_person_and_is_in_spoken_form():
    for template in person_templates():
        assert template.count("{person}") == 1, template
        assert spoken_form(template.format(person="emma")) == template.format(person="emma"), template


def test_a_scenario_adds_its_people_by_name():
    added = scenario_sentences(get_scenario("plan-and-means"))
    assert "how old is emma" in added and "who is emma" in added
    assert "who is daniel" in added  # the caller's own name, too
    assert all(re.fullmatch(r"[a-z0-9' ]+", s) for s in added)


def test_a_scenario_without_named_people_adds_little_and_equal_scenarios_share_one_model():
    for scenario in load_library():
        sentences = scenario_sentences(scenario)
        assert list(sentences) == sorted(set(sentences))  # sorted, no repeats: a stable cache key
    assert scenario_sentences(get_scenario("declines-demographics")) == ()  # "K" is not a name to hear


class FakeRecognizer:
    audio_seconds = 0.0

    def __init__(self, sentences: tuple[str, ...] = ()) -> None:
        self.sentences = sentences
        self.cancelled = 0

    def finish(self) -> str:
        return ""

    def cancel(self) -> None:
        self.cancelled += 1


def test_the_pool_reuses_a_recogniser_only_for_the_same_sentences():
    pool = RecognizerPool(FakeRecognizer, keep=2)
    emma, nina = ("who is emma",), ("who is nina",)
    first = pool.take(emma)
    pool.give_back(first)
    assert pool.take(nina) is not first
    assert pool.take(emma) is first
    for _ in range(3):
        pool.give_back(FakeRecognizer(nina))
    assert pool.take(emma).sentences == emma and pool.take(emma) is not first  # only two kept


def test_the_listener_switches_recogniser_when_the_scenario_changes():
    made: list[FakeRecognizer] = []
    released: list[FakeRecognizer] = []

    def factory(sentences):
        made.append(FakeRecognizer(sentences))
        return made[-1]

    async def run() -> None:
        listener = Listener(factory, released.append)
        listener.use_sentences(("who is emma",))  # made at once, before anyone speaks
        listener.use_sentences(("who is emma",))  # the same: kept
        listener.use_sentences(("who is nina",))
        await listener.finish()  # queued behind the switches: they have all run
        await listener.close()

    asyncio.run(run())
    assert [r.sentences for r in made] == [("who is emma",), ("who is nina",)]
    assert released == made  # the first when replaced, the second at close


def test_a_specific_best_hearing_is_kept():
    from proto_trainer_tui.sim.moves import likeliest_hearing

    heard = ["are you thinking of killing yourself", "do you want to die", "do you want to die"]
    assert likeliest_hearing(heard) == heard[0]


def test_a_best_hearing_that_says_nothing_gives_way_to_what_several_alternatives_agree_on():
    from proto_trainer_tui.sim.moves import likeliest_hearing

    heard = ["do you have a", "do you have a plan", "have you got a plan", "do you have a pen"]
    assert likeliest_hearing(heard) == "do you have a plan"  # two agree: the better-ranked one


def test_one_alternative_alone_does_not_overrule_the_best():
    from proto_trainer_tui.sim.moves import likeliest_hearing

    assert likeliest_hearing(["do you have a", "do you have a plan", "do you have a pen"]) == "do you have a"
    assert likeliest_hearing([]) == "" and likeliest_hearing(["so"]) == "so"
