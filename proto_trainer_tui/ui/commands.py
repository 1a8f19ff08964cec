"""The command palette (Ctrl+P) offers the app's own commands: every key the current screen
offers, by name, with what it does. Read from the screen's active bindings, so the palette
and the footer can never disagree (the palette also lists the few keys the footer leaves out
for room, such as Home and End in a transcript)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

PALETTE_ACTIONS = {"command_palette"}  # the palette itself is not one of its commands


class ScreenCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        """(name, help, run) for each key that acts on the screen the palette was opened over."""
        commands, seen = [], set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            # The footer's keys, and ours it leaves out for room (they have an id and say what they do).
            offered = binding.show or (binding.id is not None and binding.tooltip)
            if not active.enabled or not offered or binding.action in PALETTE_ACTIONS:
                continue
            if binding.action in seen:
                continue
            seen.add(binding.action)
            key_name = binding.key_display or self.app.get_key_display(binding)
            help_text = f"{binding.tooltip or binding.description} (key: {key_name})"
            commands.append((binding.description, help_text, partial(self.app.run_action, binding.action, active.node)))
        return commands

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            # Match the words of what it does, too: "grade" finds Evaluate, "end" finds Hang up.
            score = max(matcher.match(name), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
