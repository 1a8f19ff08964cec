"""Offering the line again counts as a resource and a closing in British wording too ("ring us")."""

from __future__ import annotations

import pytest

from proto_trainer_tui.evaluation.markers import analyse_sentence


@pytest.mark.parametrize("line", ["And you can ring us any evening too.", "You can always phone us back tonight.",
                                  "you can call us back any time"])
def test_offering_the_line_again_is_a_resource(line):
    assert analyse_sentence(line).resources


def test_asking_for_the_callers_number_is_not_a_resource():
    assert not analyse_sentence("What's a good number to ring you back on?").resources
