"""Untrusted text (server transcripts, errors, scenario files) shows literally and cannot
drive the terminal: no escape sequence, control character or bidi override gets through."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from rich.console import Console

from proto_trainer_tui.cli import main
from proto_trainer_tui.realtime.conversation import Turn
from proto_trainer_tui.realtime.events import error_message
from proto_trainer_tui.store import Store
from proto_trainer_tui.store.export import md_escape
from proto_trainer_tui.text import one_line, printable
from proto_trainer_tui.ui.widgets import StatusBar, render_turn

HOSTILE = "hi\x1b[2J\x1b]0;pwned\x07\r\x08\x9b31m\u202eevil\u2066 [bold]x[/bold]\x00\x7f"
# What may never reach a terminal from untrusted text.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def test_printable_makes_every_control_visible_and_keeps_the_rest():
    shown = printable(HOSTILE)
    assert not UNSAFE.search(shown)
    assert shown == "hi␛[2J␛]0;pwned␇␍␈\\x9b31m\\u202eevil\\u2066 [bold]x[/bold]␀␡"


@pytest.mark.parametrize("kept", ["plain text", "two\nlines\tand a tab", "émoji 🙂 and 中文", ""])
def test_printable_leaves_ordinary_text_alone(kept):
    assert printable(kept) == kept


def test_one_line_also_shows_newlines_and_tabs():
    assert one_line("a\nb\tc\x1b") == "a␤b␉c␛"


def rendered_to_terminal(renderable) -> str:
    """What Rich would write to a colour terminal: our styles, plus whatever the text carried."""
    console = Console(force_terminal=True, color_system="truecolor", width=200, record=False)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def test_a_turn_with_escapes_renders_literally():
    turn = Turn(item_id="i1", role="caller", text=HOSTILE, status="done")
    text = render_turn(turn)
    assert text.plain == "Caller: " + printable(HOSTILE)
    output = rendered_to_terminal(text)
    # The only escape sequences left are Rich's own SGR colour codes.
    assert not UNSAFE.search(re.sub(r"\x1b\[[0-9;]*m", "", output))
    assert "[bold]x[/bold]" in output


async def test_the_status_bar_shows_notices_and_errors_literally():
    from textual.app import App

    class Bar(App):
        def compose(self):
            yield StatusBar()

    app = Bar()
    async with app.run_test() as pilot:
        bar = app.query_one(StatusBar)
        bar.show_status("disconnected", "note \x1b[31m", "server error: \x1b[2J[red]boom[/red]")
        await pilot.pause()
        plain = bar.content.plain
    assert "note ␛[31m" in plain
    assert "error: server error: ␛[2J[red]boom[/red]" in plain
    assert not UNSAFE.search(plain)


def test_error_messages_built_from_server_text_are_printable():
    event = {"type": "error", "error": {"message": "bad\x1b[2Jthing\u202e", "code": "c\x07"}}
    assert error_message(event) == "bad␛[2Jthing\\u202e (c␇)"


def test_markdown_export_escapes_controls_too():
    assert md_escape("a\x1b[31mb\x9b") == "a␛\\[31mb\\\\x9b"


def test_cli_listings_of_untrusted_titles_cannot_move_the_cursor(tmp_path, capsys):
    title = "Evil\u202e title\x9b2J"
    with Store.open(tmp_path) as store:
        session = store.start_session(scenario_id="x", scenario_title=title, server="embedded", mode="typed",
                                      record=False)
        store.end_session(session.id)
    assert main(["--data-dir", str(tmp_path), "sessions", "list"]) == 0
    out = capsys.readouterr().out
    assert "Evil\\u202e title\\x9b2J" in out
    assert not UNSAFE.search(out)


def test_scenario_list_shows_imported_titles_literally(tmp_path, capsys):
    source = tmp_path / "s.csv"
    source.write_text(
        "title,prompt,description,evaluator_context,mode,category\n"
        '"Bidi \u202eeman\u202c and CSI \x9b2J","You are a caller.","d","e",phone,onboarding\n',
        encoding="utf-8",
    )
    data = ["--data-dir", str(tmp_path)]
    assert main([*data, "scenarios", "import", str(source)]) == 0
    capsys.readouterr()
    assert main([*data, "scenarios", "list"]) == 0
    out = capsys.readouterr().out
    assert "Bidi \\u202eeman\\u202c and CSI \\x9b2J" in out
    assert not UNSAFE.search(out)


def test_session_markdown_export_has_no_raw_escapes(tmp_path, capsys):
    from proto_trainer_tui.store import TurnRecord

    t0 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    with Store.open(tmp_path) as store:
        session = store.start_session(scenario_id="x", scenario_title="T\x1b[2J", server="embedded",
                                      mode="typed", record=False)
        store.save_turn(session.id, TurnRecord(1, "caller", "I \x1b]0;title\x07 said", "done", None, t0, t0))
        store.end_session(session.id)
    assert main(["--data-dir", str(tmp_path), "sessions", "export", str(session.id), "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert "I ␛\\]0;title␇ said" in out
    assert not UNSAFE.search(out)
