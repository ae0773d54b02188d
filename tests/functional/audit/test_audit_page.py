"""Administration → Audit log: filters, pages, what each reader sees, and the exports."""

import csv
import io
import json

from charter.audit.service import Actor, AuditLog

PAGE = "/admin/audit"
EXPORT = "/admin/audit/export"


def rows(response):
    return response.html.select("tr.audit-row")


def test_an_administrator_sees_every_entry_under_the_admin_tabs(admin_app, site, many_entries):
    many_entries(2, login="robot")

    page = admin_app.get(PAGE)

    tab = page.html.select_one("#admin-nav a[aria-current=page]")
    assert tab.text == "Audit log"
    actions = [row["data-action"] for row in rows(page)]
    assert actions[:2] == ["test.entry", "test.entry"]
    assert "content.added" in actions
    assert page.html.select_one("#export-csv")["href"].endswith("/admin/audit/export?format=csv")


def test_the_filters_narrow_the_list_and_paging_keeps_them(admin_app, many_entries):
    many_entries(3, login="robot")
    many_entries(1, login="droid")

    page = admin_app.get(PAGE, {"actor": "robot", "limit": 2})

    assert [row.select_one(".audit-actor").text.strip() for row in rows(page)] == ["robot"] * 2
    older = page.click(linkid="next-page")
    assert [row.select_one(".audit-actor").text.strip() for row in rows(older)] == ["robot"]
    assert older.html.select_one("#first-page")
    assert "actor=robot" in page.html.select_one("#export-ndjson")["href"]


def test_a_bad_filter_is_shown_again_with_the_reason(admin_app, many_entries):
    many_entries(1)

    page = admin_app.get(PAGE, {"since": "someday"}, status=400)

    assert "a date such as" in page.html.select_one("#filter-since-error").text
    assert page.html.select_one("#filter-since")["value"] == "someday"
    assert rows(page)  # the list is shown unfiltered meanwhile


def test_a_manager_sees_their_folders_entries_without_the_admin_tabs(client, manager, site):
    page = client(manager).get(PAGE)

    assert page.html.select_one("#admin-nav") is None
    shown = {row.select_one(".audit-item code").text for row in rows(page)}
    assert shown == {"/docs", "/docs/guide"}


def test_someone_who_manages_nothing_gets_the_refusal_page(testapp, site):
    page = testapp.get(PAGE, status=403)

    assert "You may not see this" in page.text


def test_the_anonymous_are_sent_to_log_in(anonymous_app, site):
    response = anonymous_app.get(PAGE)

    assert response.status_int in {302, 303}
    assert "/login" in response.location


def test_the_csv_export_has_a_header_and_one_row_per_entry_newest_first(
    admin_app, many_entries, dbsession
):
    entries = many_entries(3, login="robot")
    AuditLog(dbsession).record("test.entry", Actor(login="robot"), "=HYPERLINK(1)")
    dbsession.flush()

    response = admin_app.get(EXPORT, {"format": "csv", "actor": "robot"})

    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["id"] for row in table[1:]] == [str(e.id) for e in reversed(entries)]
    # A cell a spreadsheet would run as a formula is quoted.
    assert table[0]["target"] == "'=HYPERLINK(1)"
    assert json.loads(table[1]["details"]) == {"n": 2}


def test_the_ndjson_export_is_one_json_object_per_line(admin_app, many_entries):
    many_entries(2, login="robot")

    response = admin_app.get(EXPORT, {"format": "ndjson", "actor": "robot"})

    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["details"]["n"] for line in lines] == [1, 0]
    assert response.content_type == "application/x-ndjson"


def test_an_export_holds_what_the_reader_may_read_only(client, manager, site):
    response = client(manager).get(EXPORT, {"format": "ndjson"})

    paths = {json.loads(line)["node"]["path"] for line in response.text.splitlines()}
    assert paths == {"/docs", "/docs/guide"}


def test_an_export_in_an_unknown_format_is_refused(admin_app):
    admin_app.get(EXPORT, {"format": "xlsx"}, status=400)


def test_an_export_streams_more_than_one_batch(admin_app, many_entries, monkeypatch):
    monkeypatch.setattr("charter.audit.reading.EXPORT_BATCH", 4)
    many_entries(10, login="robot")

    response = admin_app.get(EXPORT, {"format": "ndjson", "actor": "robot"})

    numbers = [json.loads(line)["details"]["n"] for line in response.text.splitlines()]
    assert numbers == list(range(9, -1, -1))
