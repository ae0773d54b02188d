"""Text inside files is searchable (PDF, docx, xlsx, text); a file whose text cannot be read is
still found by its name and title; changes are searchable when they commit and gone when trashed."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from sqlalchemy import select

from charter.content.models import Document
from charter.search.models import EXTRACTED, UNREADABLE, SearchEntry
from charter.security.principals import user_principal
from charter.security.sharing import SharingService

from .conftest import SearchSite, root_of, upload


def pdf_with(text: str) -> bytes:
    """A one-page PDF showing ``text`` (written by hand: the offsets of its xref are exact)."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def docx_with(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_with(*cells: str) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(list(cells))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def fill(site: SearchSite) -> None:
    with site.edit("owner") as (service, session):
        root = root_of(session)
        upload(service, root, "invoice.pdf", pdf_with("Zephyr invoice for Q3"))
        upload(service, root, "letter.docx", docx_with("Dear Quibble, the Wombat project is late."))
        upload(service, root, "sheet.xlsx", xlsx_with("Marmalade", "42", "Kumquat total"))
        upload(service, root, "notes.txt", b"Plain notes about Yodel.")
        upload(
            service,
            root,
            "broken.pdf",
            b"%PDF-1.4 this is not really a PDF at all",
            title="Gadzooks",
        )


@pytest.fixture(scope="module")
def site(search_site_factory) -> SearchSite:
    return search_site_factory(fill)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("zephyr", "invoice.pdf"),
        ('"zephyr invoice"', "invoice.pdf"),
        ("wombat", "letter.docx"),
        ("quibble", "letter.docx"),
        ("kumquat", "sheet.xlsx"),
        ("marmalade", "sheet.xlsx"),
        ("yodel", "notes.txt"),
        ("gadzooks", "Gadzooks"),
        ("broken", "Gadzooks"),
        ("invoice", "invoice.pdf"),
    ],
)
def test_text_inside_files_and_their_names_are_found(site, query, title):
    assert site.titles(query) == {title}


def test_what_became_of_each_file_is_recorded(site):
    with site.session() as session:
        states = dict(session.execute(select(SearchEntry.node_id, SearchEntry.file_text)).all())
    assert sorted(states.values()).count(EXTRACTED) == 4
    assert sorted(states.values()).count(UNREADABLE) == 1


def test_a_snippet_comes_from_the_text_inside_the_file(site):
    (hit,) = site.client("owner").get("/api/v1/search", {"q": "wombat"}).json["items"]
    assert "<mark>Wombat</mark>" in hit["snippet"]


def test_a_change_is_searchable_once_it_commits_and_gone_once_trashed(site):
    editor = site.client("admin")
    created = editor.post_json(
        "/api/v1/content", {"@type": "Document", "title": "Flamingo", "body": "pink"}, status=201
    ).json
    assert site.titles("flamingo", login="admin") == {"Flamingo"}

    etag = editor.get(created["@id"]).headers["ETag"]
    editor.patch_json(created["@id"], {"title": "Heron"}, headers={"If-Match": etag})
    assert site.titles("heron", login="admin") == {"Heron"}
    # Its name (the URL segment) is still flamingo.
    assert site.titles("flamingo", login="admin") == {"Heron"}

    editor.delete(created["@id"], headers={"If-Match": editor.get(created["@id"]).headers["ETag"]})
    assert site.titles("heron", login="admin") == set()


def test_a_refused_change_indexes_nothing(site):
    site.client("admin").post_json(
        "/api/v1/content", {"@type": "Document", "title": "", "body": "ostrich"}, status=400
    )
    assert site.titles("ostrich", login="admin") == set()


def test_sharing_changes_who_finds_a_document_without_reindexing(site):
    with site.edit() as (service, session):
        root = root_of(session)
        folder = service.create(root, "Folder", {"title": "Vault"})
        folder.inherit_roles = False
        service.create(folder, "Document", {"title": "Pelican plan", "body": "secret"})
        SharingService(session).update(folder, {})
    with site.session() as session:
        before = session.scalar(
            select(SearchEntry.indexed)
            .join(Document, Document.id == SearchEntry.node_id)
            .where(Document.title == "Pelican plan")
        )
    assert site.titles("pelican", login="outsider") == set()

    with site.edit() as (service, session):
        vault = session.scalars(
            select(Document.__base__).where(Document.__base__.path == "/vault")
        ).one()
        SharingService(session).update(vault, {user_principal(site.users["outsider"]): ["Editor"]})
    assert site.titles("pelican", login="outsider") == {"Pelican plan"}

    with site.session() as session:
        after = session.scalar(
            select(SearchEntry.indexed)
            .join(Document, Document.id == SearchEntry.node_id)
            .where(Document.title == "Pelican plan")
        )
    assert after == before
