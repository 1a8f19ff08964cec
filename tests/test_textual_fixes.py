"""Work-arounds for Textual bugs found by the soak benchmark."""

from __future__ import annotations

import gc
import weakref

from textual._styles_cache import StylesCache
from textual.color import Color
from textual.style import Style

from proto_trainer_tui.ui.textual_fixes import bound_render_caches


def test_the_background_style_cache_keeps_no_widget_alive_and_gives_the_same_styles():
    bound_render_caches()
    bound_render_caches()  # idempotent: the app applies it on every start
    base, background = Color(10, 20, 30), Color(200, 100, 0, 0.5)
    cache = StylesCache()
    assert cache.get_inner_outer(base, background) == (Style(background=base + background), Style(background=base))
    gone = weakref.ref(cache)
    del cache
    gc.collect()
    assert gone() is None
