"""Work-arounds for Textual bugs that the soak benchmark (benchmarks/soak.py) found.

Each is applied once, from ``TrainerApp.__init__``, and checks that the bug is
still there before touching anything, so a Textual release that fixes it makes
the work-around a no-op.
"""

from __future__ import annotations

from functools import lru_cache

RENDER_CACHE_SIZE = 1024  # as Textual's own


def bound_render_caches() -> None:
    """Stop Textual's background-style cache from keeping removed widgets' rendered lines alive.

    ``StylesCache.get_inner_outer`` is an ``lru_cache`` on an *instance* method
    (Textualize/textual#6665): each of its 1,024 entries keeps a whole
    ``StylesCache`` (every line its widget last rendered) alive after the
    widget is gone. Each call mounts new widgets (footer keys, transcript turns),
    so RSS grew by ~8 MB over a few hundred calls. The result depends on the two
    colours only: cache on those, keep nothing else.
    """
    from textual._styles_cache import StylesCache

    leaky = StylesCache.__dict__.get("get_inner_outer")
    if not hasattr(leaky, "cache_info"):
        return  # fixed upstream (or already replaced here)
    uncached = leaky.__wrapped__

    @lru_cache(RENDER_CACHE_SIZE)
    def inner_outer(base_background, background):
        return uncached(None, base_background, background)  # it never reads its first argument

    def get_inner_outer(self, base_background, background):
        return inner_outer(base_background, background)

    StylesCache.get_inner_outer = get_inner_outer
