"""The ``json`` renderer writes with orjson what json.dumps wrote, and falls back to it."""

import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyramid.testing import DummyRequest

from charter.api.rendering import OrjsonRenderer

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


def render(value, request=None):
    """``value`` through the renderer, as a view's result."""
    return OrjsonRenderer()(None)(value, {"request": request})


@given(JSON_VALUES)
def test_the_same_document_as_json_dumps(value):
    """Any JSON value (lone surrogates and huge integers included) reads back the same."""
    assert json.loads(render(value)) == json.loads(json.dumps(value))


def test_keys_keep_their_order_and_non_ascii_is_utf8():
    rendered = render({"zeta": "Été ☃", "alpha": 1})
    assert rendered == '{"zeta":"Été ☃","alpha":1}'.encode()


def test_what_orjson_refuses_is_written_by_json_dumps():
    assert json.loads(render({"n": 2**70, "s": "\ud800"})) == {"n": 2**70, "s": "\ud800"}


def test_dates_go_through_json_and_adapters_as_before():
    """A date is no more serialisable than with json.dumps, unless an adapter says how."""
    with pytest.raises(TypeError):
        render({"at": datetime.date(2026, 11, 30)})
    renderer = OrjsonRenderer()
    renderer.add_adapter(datetime.date, lambda value, request: f"day {value.isoformat()}")
    assert renderer(None)({"at": datetime.date(2026, 11, 30)}, {}) == b'{"at":"day 2026-11-30"}'


def test_json_method_and_content_type():
    class Thing:
        def __json__(self, request):
            return {"thing": request.path}

    request = DummyRequest(path="/x")
    assert render([Thing()], request) == b'[{"thing":"/x"}]'
    assert request.response.content_type == "application/json"
