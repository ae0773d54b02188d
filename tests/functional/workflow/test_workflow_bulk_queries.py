"""``POST /api/v1/@workflow`` sends the same statements for 3 items as for 60: its reads,
locks and writes are set-based, one statement per table whatever the number of items."""

from sqlalchemy import func, select

from charter.audit.models import AuditEntry
from charter.security.sharing import SharingService
from charter.workflow.models import WorkflowStep

# The caller, the items, their lineages, the row locks, one UPDATE of nodes, one INSERT
# into each of workflow_history and audit_log, and the change feed's seven (charter.changes).
BULK_BUDGET = 14


def test_a_bulk_costs_the_same_statements_for_3_and_60_items(
    anonymous_app, site_root, content, make_user, bearer, query_recorder, dbsession
):
    eve = make_user("eve", "Eve Editor")
    folders = {}
    for name, size in (("few", 3), ("many", 60)):
        folder = content.add_folder(site_root, name, name.title())
        SharingService(dbsession).update(folder, {f"user:{eve.id}": ["Editor"]})
        for number in range(size):
            content.add_document(folder, f"d{number}", f"Document {number}", "")
        folders[name] = [f"/{name}/d{number}" for number in range(size)]
    dbsession.flush()  # requests read through their own savepoint
    headers = bearer(eve)
    # A token's first use records when it was used; what is measured comes after.
    anonymous_app.get("/api/v1/content/few", headers=headers)

    recorded = {}
    for name, items in folders.items():
        with query_recorder.record() as statements:
            response = anonymous_app.post_json(
                "/api/v1/@workflow", {"transition": "retract", "items": items}, headers=headers
            )
        assert response.json["done"] == len(items), response.json
        recorded[name] = statements

    assert len(recorded["few"]) == len(recorded["many"]), recorded
    assert len(recorded["many"]) <= BULK_BUDGET, recorded["many"]
    assert dbsession.scalar(select(func.count()).select_from(WorkflowStep)) == 63
    entries = dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == "workflow.transition")
    ).all()
    assert sorted(entry.node_path for entry in entries) == sorted(folders["few"] + folders["many"])
    assert {(entry.actor_login, entry.details["to_state"]) for entry in entries} == {
        ("eve", "private")
    }
