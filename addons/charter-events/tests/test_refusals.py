"""The Event's refusals are translation strings: a German page shows them in German beside
the field, the JSON API in English with their values filled in, whatever the caller's
Accept-Language."""

import ast
from pathlib import Path

import pytest
from charter.testing.assertions import assert_problem

SOURCE = Path(__file__).resolve().parents[1] / "src" / "charter_events"
API = "/api/v1/content"
GERMAN = {"Accept-Language": "de"}
MEETING = {
    "@type": "Event",
    "title": "Board meeting",
    "start": "2027-01-15T09:00",
    "end": "2027-01-15T10:30",
    "time_zone": "Europe/Berlin",
}
# (fields changed, the field refused, its German words on a page, its English in the API)
REFUSALS = [
    (
        {"end": "2027-01-15T08:00"},
        "end",
        "das Ende muss nach dem Beginn liegen",
        "the end must be after the start",
    ),
    (
        {"start": "2027-03-02", "end": "2027-03-01", "all_day": True},
        "end",
        "ein ganztägiges Ereignis kann nicht vor dem Tag enden, an dem es beginnt",
        "an all-day event cannot end before the day it starts",
    ),
    (
        {"time_zone": "Mars/Olympus"},
        "time_zone",
        "unbekannte Zeitzone 'Mars/Olympus': verwenden Sie einen IANA-Namen wie Europe/Berlin",
        "unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin",
    ),
    (
        {"start": "2027-03-28T02:30", "end": "2027-03-28T04:00"},
        "start",
        "02:30 gibt es am 2027-03-28 in Europe/Berlin nicht: die Uhren werden dann "
        "vorgestellt; geben Sie eine andere Uhrzeit an",
        "02:30 does not exist on 2027-03-28 in Europe/Berlin: the clocks go forward then; "
        "give another time",
    ),
    (
        {"start": "2027-02-30"},
        "start",
        "geben Sie ein Datum wie 2027-01-15 oder ein Datum mit Uhrzeit wie 2027-01-15T09:00 an",
        "give a date such as 2027-01-15, or a date and time such as 2027-01-15T09:00",
    ),
]
IDS = ["end-before-start", "all-day-backwards", "unknown-zone", "skipped-time", "no-such-day"]


@pytest.mark.parametrize(("change", "field", "german", "english"), REFUSALS, ids=IDS)
def test_a_german_add_form_shows_the_refusal_in_german_beside_its_field(
    client, editor, change, field, german, english
):
    app = client(editor)
    form = app.get("/events/@@add", params={"type": "Event"}, headers=GERMAN).forms["add-form"]
    for name, value in {**MEETING, **change}.items():
        if name == "all_day":
            form[name].checked = value
        elif name != "@type":
            form[name] = value

    page = form.submit(headers=GERMAN, status=400)

    error = page.html.select_one(f"#add-{field}-error").get_text(" ", strip=True)
    assert german in error
    assert english not in page.text


@pytest.mark.parametrize(("change", "field", "german", "english"), REFUSALS, ids=IDS)
def test_the_api_states_the_refusal_in_english_whatever_the_language(
    anonymous_app, bearer, editor, change, field, german, english
):
    response = anonymous_app.post_json(
        f"{API}/events", {**MEETING, **change}, headers={**bearer(editor), **GERMAN}, status=400
    )

    body = assert_problem(response, 400, f"/{field}")
    assert english in next(e["detail"] for e in body["errors"] if e["pointer"] == f"/{field}")
    assert german not in response.text


def _plain_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def test_every_refusal_of_the_add_on_is_a_translation_string():
    """A TimingError or a schema's refusal is never worded with a plain or f-string."""
    untranslated = []
    for path in sorted(SOURCE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            arguments = {"TimingError": node.args[:1], "refusal": node.args[1:2]}
            message = arguments.get(node.func.id, [])
            if any(_plain_text(argument) for argument in message):
                untranslated.append(f"{path.name}:{node.lineno}")

    assert untranslated == []
