"""The scenario list: pick who calls, Enter opens the practice screen."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, ListItem, ListView, Static

from ..scenarios import get_scenario, load_library
from ..scenarios.model import Scenario
from ..text import printable
from .widgets import TrainerFooter


def describe(scenario: Scenario) -> Text:
    text = Text(printable(scenario.title), style="bold")
    text.append(f"  [{printable(scenario.category)}]", style="italic")
    text.append("\n")
    text.append(printable(scenario.description), style="dim")
    return text


class ScenarioItem(ListItem):
    def __init__(self, scenario: Scenario) -> None:
        super().__init__(Static(describe(scenario)))
        self.scenario = scenario


class ScenarioScreen(Screen):
    CSS_PATH = "scenarios.tcss"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Choose a caller to practise with, then press Enter.", id="intro")
        scenarios = [*load_library(imported=self.app.imported_scenarios()), get_scenario("free")]
        yield ListView(*(ScenarioItem(s) for s in scenarios), id="scenarios")
        yield TrainerFooter()

    @on(ListView.Selected, "#scenarios")
    def chosen(self, event: ListView.Selected) -> None:
        assert isinstance(event.item, ScenarioItem)
        self.app.open_practice(event.item.scenario)
