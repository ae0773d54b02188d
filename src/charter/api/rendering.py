"""The ``json`` renderer: Pyramid's, with orjson writing the bytes.

Serialising the representation was a measurable share of a JSON request
(benchmarks/README.md, Issue 12 round 3). orjson writes the same document
as ``json.dumps``: keys in the dict's order, the same strings, numbers and
nesting; what differs is the text around it. orjson writes no space after
``,`` and ``:`` and writes non-ASCII characters as UTF-8 rather than as
``\\uXXXX`` escapes, which RFC 8259 allows either way. No entity tag depends
on these bytes: a document's is its version, a folder's digest is taken
of its own canonical serialisation (charter.api.views.entity_tag).

What orjson would write differently from ``json.dumps`` it is not asked to
write: dates, times and dataclasses go to the renderer's ``default`` (the
objects' ``__json__`` and the renderer's adapters, as in Pyramid's
renderer), and whatever orjson refuses (integers beyond 64 bits, strings
with lone surrogates) is written by ``json.dumps`` as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from pyramid.renderers import JSON

# Dates and dataclasses through ``default``, as json.dumps sends them there.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonRenderer(JSON):
    """Pyramid's JSON renderer (same ``__json__`` and adapters) writing with orjson."""

    def __call__(self, info: Any) -> Callable[[Any, dict[str, Any]], bytes]:
        """The render function of one view: UTF-8 bytes, ``application/json`` by default."""

        def render(value: Any, system: dict[str, Any]) -> bytes:
            request = system.get("request")
            if request is not None:
                response = request.response
                if response.content_type == response.default_content_type:
                    response.content_type = "application/json"
            default = self._make_default(request)
            try:
                return orjson.dumps(value, default=default, option=OPTIONS)
            except orjson.JSONEncodeError:
                return json.dumps(value, default=default).encode()

        return render
