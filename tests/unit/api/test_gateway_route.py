"""The gateway's first route takes only requests that no other route of the app could take, so
that lambdock's own paths keep winning over a greedy user route however the routes are tried."""

from __future__ import annotations

import pytest
from starlette.routing import Match

from emulator.api.gateway import first_route


def _scope(path: str, method: str = "GET") -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": ""}


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("/hello", Match.FULL),
        ("/users/42/orders", Match.FULL),
        ("/_lambdock/health", Match.NONE),
        ("/_lambdock", Match.NONE),
        ("/2015-03-31/functions/Fn/invocations", Match.NONE),
        ("/", Match.NONE),
        ("/openapi.json", Match.NONE),
    ],
)
def test_the_first_route_leaves_reserved_and_other_routes_paths_alone(
    path: str, match: Match
) -> None:
    route = first_route(["/", "/openapi.json", "/_lambdock/health", "/_lambdock/static/{name}"])
    assert route.matches(_scope(path))[0] is match


def test_a_templated_route_outside_the_reserved_prefixes_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\['/items/\{id\}'\]"):
        first_route(["/items/{id}"])
