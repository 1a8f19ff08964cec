"""The supervisor's review queue screen: critical flags first, a note and a grade override saved from it."""

from __future__ import annotations

from textual.app import App
from textual.widgets import DataTable, Input, Static

from proto_trainer_tui.store import Store
from proto_trainer_tui.ui.supervisor import ReviewNoteScreen, ReviewQueueScreen

FLAGGED = {"flags": [{"severity": "critical", "kind": "missed_risk_inquiry", "message": "never asked"}]}


class Host(App):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def on_mount(self) -> None:
        self.push_screen(ReviewQueueScreen(self.store))


def evaluated_call(store: Store, title: str, grade: str, report: dict) -> int:
    session = store.start_session(scenario_id="x", scenario_title=title, server="embedded", mode="typed",
                                  record=False)
    store.end_session(session.id)
    store.save_evaluation(session.id, report, grade=grade, evaluator="rubric")
    return session.id


def rows(app: App) -> list[str]:
    table = app.screen.query_one("#queue", DataTable)
    return [str(table.get_row_at(n)[0]) for n in range(table.row_count)]


async def test_the_queue_puts_critical_flags_first_and_a_review_takes_a_call_off_it(tmp_path):
    with Store.open(tmp_path) as store:
        calm = evaluated_call(store, "Panic attack at work", "A", {"flags": []})
        risky = evaluated_call(store, "A plan and [b]the means[/b]", "B", FLAGGED)
        app = Host(store)
        async with app.run_test(size=(120, 30)) as pilot:
            assert rows(app) == [str(risky), str(calm)]
            await pilot.press("n")
            assert isinstance(app.screen, ReviewNoteScreen) and app.screen.session_id == risky
            app.screen.query_one("#note", Input).value = "Ask about suicide directly."
            app.screen.query_one("#grade", Input).value = "D"
            await pilot.click("#save")
            assert "reason" in str(app.screen.query_one("#note-problem", Static).render())  # still open
            reason = app.screen.query_one("#reason", Input)
            reason.value = "Risk inquiry is a must-pass item."
            reason.focus()
            await pilot.press("enter")  # Enter in any field saves
            await pilot.pause()
            assert isinstance(app.screen, ReviewQueueScreen) and rows(app) == [str(calm)]
        [review] = store.reviews(risky)
        assert (review.note, review.grade, review.reason) == ("Ask about suicide directly.", "D",
                                                              "Risk inquiry is a must-pass item.")
        assert store.grade(risky) == "D"


async def test_the_trainee_sees_the_supervisors_note_and_grade_on_the_review_screen(tmp_path):
    from proto_trainer_tui.ui.review import ReviewScreen

    with Store.open(tmp_path) as store:
        risky = evaluated_call(store, "A plan and the means", "B", {**FLAGGED, "summary": "Warm, but no risk check."})
        store.add_review(risky, "Ask about [red]suicide[/red] directly.", grade="D", reason="Must-pass item.")

        class Trainee(App):
            def on_mount(self) -> None:
                self.push_screen(ReviewScreen(store, risky))

        app = Trainee()
        async with app.run_test(size=(120, 30)):
            shown = str(app.screen.query_one("#evaluation", Static).render())
        assert "Grade: D" in shown and "Warm, but no risk check." in shown
        assert "Ask about [red]suicide[/red] directly. Grade D: Must-pass item." in shown  # shown literally


async def test_assign_from_the_queue_then_see_the_progress_table(tmp_path):
    from proto_trainer_tui.ui.supervisor import AssignScreen, ProgressScreen

    with Store.open(tmp_path) as store:
        app = Host(store)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("a")
            assert isinstance(app.screen, AssignScreen)
            fields = {name: app.screen.query_one(f"#{name}", Input) for name in ("scenario", "trainees", "due")}
            fields["scenario"].value = "no-such-scenario"
            fields["scenario"].focus()
            await pilot.press("enter")
            assert "no-such-scenario" in str(app.screen.query_one("#assign-problem", Static).render())
            fields["scenario"].value = "plan-and-means"
            fields["trainees"].value = "anna, ben"
            fields["due"].value = "2020-01-31"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ReviewQueueScreen)
            await pilot.press("g")
            assert isinstance(app.screen, ProgressScreen)
            table = app.screen.query_one("#progress", DataTable)
            shown = [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]
        assert shown == [["anna", "plan-and-means", "2020-01-31", "overdue", "–", "–"],
                         ["ben", "plan-and-means", "2020-01-31", "overdue", "–", "–"]]


async def test_the_queue_is_read_once_when_shown_and_once_when_a_note_closes(tmp_path, monkeypatch):
    with Store.open(tmp_path) as store:
        evaluated_call(store, "Panic attack at work", "A", {"flags": []})
        reads = []
        real = store.review_queue
        monkeypatch.setattr(store, "review_queue", lambda *a, **k: reads.append(1) or real(*a, **k))
        app = Host(store)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            assert len(reads) == 1 and rows(app)
            await pilot.press("n")
            await pilot.press("escape")  # the note screen closes unsaved
            await pilot.pause()
            assert isinstance(app.screen, ReviewQueueScreen) and len(reads) == 2
