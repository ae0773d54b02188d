"""A node's page links to the audit log filtered to it for those who may read its entries:
the Managers of the node (of a folder above it) and site Administrators, nobody else."""

from urllib.parse import parse_qs, urlsplit


def audit_link(page):
    link = page.html.select_one("#audit-link")
    return None if link is None else link["href"]


def test_a_manager_finds_the_audit_log_of_their_folder_on_its_page(client, manager, site):
    app = client(manager)

    href = audit_link(app.get("/docs"))

    assert urlsplit(href).path == "/admin/audit"
    assert parse_qs(urlsplit(href).query) == {"path": ["/docs"]}
    shown = {
        row.select_one(".audit-item code").text for row in app.get(href).html.select("tr.audit-row")
    }
    assert shown == {"/docs", "/docs/guide"}
    assert parse_qs(urlsplit(audit_link(app.get("/docs/guide"))).query) == {"path": ["/docs/guide"]}


def test_a_manager_sees_no_audit_link_where_they_do_not_manage(client, manager, site):
    assert audit_link(client(manager).get("/other")) is None


def test_a_reader_sees_no_audit_link(testapp, site):
    assert audit_link(testapp.get("/docs")) is None
    assert audit_link(testapp.get("/docs/guide")) is None


def test_an_administrator_sees_the_audit_link_everywhere(admin_app, site):
    assert audit_link(admin_app.get("/other")) is not None
    assert audit_link(admin_app.get("/")) is not None
