"""The scenario list: pick who calls, see the caller's profile, Enter opens the practice screen."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Header, ListItem, ListView, Static

from ..scenarios import get_scenario, load_library
from ..scenarios.model import Scenario
from ..text import one_line, printable
from .widgets import TrainerFooter


def describe(scenario: Scenario, assignment=None) -> Text:
    text = Text(printable(scenario.title), style="bold")
    text.append(f"  [{printable(scenario.category)}]", style="italic")
    if assignment is not None:  # a supervisor assigned it (shared database): status and due date
        from ..store.programme import assignment_label

        text.append(f"  {assignment_label(assignment)}", style="bold" if assignment.status != "done" else "dim")
    text.append("\n")
    text.append(printable(scenario.description), style="dim")
    return text


def profile_text(scenario: Scenario) -> Text:
    """The highlighted scenario's caller profile: what the caller will play, and where it came from."""
    profile = scenario.profile
    text = Text()
    text.append("Caller: ", style="bold")
    if scenario.is_free_practice:
        text.append("chosen when you say what you want to practise.")
        return text
    text.append(one_line(profile.summary()))
    stated = {profile.source(name) for name in ("caller_name", "risk", "plan", "means", "homicidal")} - {"not_stated"}
    if stated:
        text.append(f"  [from: {', '.join(sorted(stated))}]", style="dim")
    if profile.risk == "not_stated":
        text.append("\nRisk is not stated, so the caller deflects risk questions rather than inventing answers.",
                    style="italic")
    return text


class ScenarioItem(ListItem):
    def __init__(self, scenario: Scenario, assignment=None) -> None:
        super().__init__(Static(describe(scenario, assignment)))
        self.scenario = scenario


class ScenarioScreen(Screen):
    CSS_PATH = "scenarios.tcss"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Choose a caller to practise with, then press Enter.", id="intro")
        self._shown = self._library()
        yield ListView(*(ScenarioItem(s, a) for s, a in self._shown), id="scenarios")
        yield Static(id="profile")
        yield TrainerFooter()

    def _library(self) -> list[tuple[Scenario, object]]:
        """Each scenario with its assignment (assigned ones first), or None."""
        library = [*load_library(imported=self.app.imported_scenarios()), get_scenario("free")]
        store = getattr(self.app, "store", None)
        if store is None:
            return [(s, None) for s in library]
        from ..store import StoreError
        from ..store.programme import assigned_first

        try:
            return assigned_first(library, store.my_assignments())
        except StoreError:
            return [(s, None) for s in library]

    async def on_screen_resume(self) -> None:
        # Scenarios imported with `proto-trainer scenarios import` while the app runs show up
        # the next time this list is shown.
        library = self._library()
        if [(s.id, a) for s, a in library] != [(s.id, a) for s, a in self._shown]:
            self._shown = library
            listing = self.query_one("#scenarios", ListView)
            await listing.clear()
            await listing.extend(ScenarioItem(s, a) for s, a in library)

    @on(ListView.Highlighted, "#scenarios")
    def show_profile(self, event: ListView.Highlighted) -> None:
        if isinstance(event.item, ScenarioItem):
            self.query_one("#profile", Static).update(profile_text(event.item.scenario))

    @on(ListView.Selected, "#scenarios")
    def chosen(self, event: ListView.Selected) -> None:
        assert isinstance(event.item, ScenarioItem)
        self.app.open_practice(event.item.scenario)
