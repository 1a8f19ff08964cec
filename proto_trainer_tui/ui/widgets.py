"""Self-contained widgets of the practice screen.

All user and caller text is rendered as ``rich.text.Text``, never parsed as
markup, so ``[bold red]`` in a transcript shows literally.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Footer, Static

from ..realtime.conversation import Turn
from ..realtime.session import Levels
from ..text import printable

ROLE_LABELS = {"caller": "Caller", "counselor": "You"}


def render_turn(turn: Turn) -> Text:
    """A live turn, or a stored one (which has a ``turn_order``, shown so evidence can cite it)."""
    label = ROLE_LABELS[turn.role]
    order = getattr(turn, "turn_order", None)
    text = Text(f"#{order} " if order is not None else "", style="dim")
    text.append(f"{label}: ", style="bold")
    text.append(printable(turn.text))  # server text: no escapes reach the terminal
    if turn.status == "partial":
        text.append(" …", style="dim")
    elif turn.status == "interrupted":
        text.append("  (cut off)", style="italic dim")
    return text


class TurnView(Static):
    DEFAULT_CSS = """
    TurnView { padding: 0 1; margin-bottom: 1; }
    TurnView.-caller { border-left: wide $accent; }
    TurnView.-counselor { border-left: wide $primary; }
    TurnView.-jumped { background: $accent 25%; }
    """

    def __init__(self, turn: Turn) -> None:
        super().__init__(render_turn(turn), classes=f"-{turn.role}")
        self.turn_order: int | None = getattr(turn, "turn_order", None)

    def show(self, turn: Turn) -> None:
        self.update(render_turn(turn))


STATUS_STYLES = {
    "disconnected": "bold red",
    "connecting": "bold yellow",
    "connected": "bold green",
    "reconnecting": "bold yellow",
    "disconnecting": "bold yellow",
}


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: auto; padding: 0 1; background: $boost; }
    """

    def show_status(self, status: str, notice: str, error: str) -> None:
        line = Text.assemble(("● ", STATUS_STYLES.get(status, "")), (status, STATUS_STYLES.get(status, "")))
        if notice:
            line.append("  ·  ")
            line.append(printable(notice), style="dim")
        if error:
            line.append("\n")
            line.append(f"error: {printable(error)}", style="bold red")
        self.update(line)


METER_FLOOR_DBFS = -60.0
METER_CELLS = 8


def meter(dbfs: float) -> str:
    """A level as a short bar: -60 dBFS and below is empty, 0 dBFS is full."""
    filled = round(METER_CELLS * (max(dbfs, METER_FLOOR_DBFS) - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS)
    return "█" * filled + "░" * (METER_CELLS - filled)


def render_voice(
    levels: Levels | None, *, turn_mode: str, muted: bool, has_mic: bool, voice_out: bool, latency: str,
    audio: bool = True,
) -> Text:
    """The voice line: what is true now, most important first (a narrow terminal cuts the end).

    Every part is shown only when it means something: no meters or turn mode without the
    devices they describe, never "you are speaking" while muted.
    """
    mode = "push-to-talk" if turn_mode == "ptt" else "hands-free"
    if levels is None:
        if not audio:
            return Text("voice off (--no-audio): type your side of the call", style="dim")
        return Text(f"voice: {mode} · not in a call", style="dim")
    if not has_mic and not voice_out:
        return Text("voice off: you type, in the line below (Enter sends, Esc leaves it)", style="dim")
    line = Text()
    if muted:
        line.append("MUTED", style="bold red")
        line.append("  ")
    if has_mic and levels.counselor_speaking and not muted:
        line.append("● you are speaking", style="bold green")
    elif voice_out and levels.caller_speaking:
        line.append("● caller speaking", style="bold cyan")
    else:
        line.append("○ listening", style="dim")
    line.append(f"  ·  {mode}" if has_mic else "  ·  no microphone: type to answer")
    if has_mic:
        line.append("  mic ")
        line.append(meter(levels.mic_dbfs), style="red" if muted else "green")
        line.append(f" {max(levels.mic_dbfs, METER_FLOOR_DBFS):3.0f}")
    if voice_out:
        line.append("  caller ")
        line.append(meter(levels.caller_dbfs), style="cyan")
        line.append(f" {max(levels.caller_dbfs, METER_FLOOR_DBFS):3.0f} dB")
    if latency:
        line.append(f"  ·  {latency}")
    return line


class VoiceBar(Static):
    """Meters, who is speaking, the turn mode and the reply latency; refreshed ~15 times a second."""

    DEFAULT_CSS = """
    VoiceBar { height: auto; padding: 0 1; background: $boost; }
    """

    def show(self, line: Text) -> None:
        if line.plain != getattr(self, "_shown", None):  # repaint only what changed
            self._shown = line.plain
            self.update(line)


class TrainerFooter(Footer):
    """Textual's Footer, without two leaks seen in the soak benchmark.

    Every connection status change changes the bindings, and each change makes
    every Footer in the screen stack recompose its keys. A Footer on a screen
    underneath (the scenario list, below the practice screen) queues its old
    keys for a repaint that never comes, and each new key data-binds to the
    Footer's ``compact`` reactive, whose watcher list is pruned only when
    ``compact`` changes. Both kept every old key alive (~0.2 MB per call). So:
    recompose only on the active screen (a screen that resumes refreshes its
    bindings anyway), and prune the watcher list after each recompose.
    """

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)  # every key a screen offers fits in 80 columns
        super().__init__(**kwargs)

    def bindings_changed(self, screen) -> None:
        if self.is_attached and self.screen is self.app.screen:
            super().bindings_changed(screen)

    async def recompose(self) -> None:
        await super().recompose()
        watchers: dict[str, list] = getattr(self, "__watchers", {})
        for bound in watchers.values():
            bound[:] = [(node, callback) for node, callback in bound if node.is_attached]
