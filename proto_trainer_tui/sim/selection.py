"""How a client names the scenario it wants from the simulated caller (pure).

The client adds ``?scenario=ID`` to the websocket URL (docs/protocol.md). The embedded server
plays that bundled scenario whatever the instructions say; for an id it does not know (an
imported scenario) it reads the instructions, which carry the brief and its stated facts.
Other realtime servers take no notice of a query parameter they do not know, and the app adds it
only for the embedded server.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

SCENARIO_PARAM = "scenario"


def url_with_scenario(url: str, scenario_id: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, values in parse_qs(parts.query, keep_blank_values=True).items() for v in values
             if k != SCENARIO_PARAM]
    query.append((SCENARIO_PARAM, scenario_id))
    return urlunsplit(parts._replace(query=urlencode(query)))


def scenario_id_from_path(path: str) -> str | None:
    """The ``scenario`` query parameter of a request path ("/v1/realtime?scenario=ID"), if any."""
    values = parse_qs(urlsplit(path).query).get(SCENARIO_PARAM)
    return values[-1].strip() or None if values else None
