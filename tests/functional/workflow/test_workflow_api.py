"""``GET <node>/@workflow``, ``POST <node>/@workflow/<transition>`` and ``POST /api/v1/@workflow``:
the default workflow through the JSON API, its refusals, and who sees what in each state."""

import re

import pytest
from sqlalchemy import func, select

from charter.audit.models import AuditEntry
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.tree.models import Node
from charter.workflow.models import WorkflowStep

API = "/api/v1/content"
SITE = "http://example.com"


@pytest.fixture
def people(make_user):
    """eve (Editor on /team), rex (Reviewer on /team), rita (a Reader: staff), con (Contributor)."""
    return {
        "eve": make_user("eve", "Eve Editor"),
        "rex": make_user("rex", "Rex Reviewer"),
        "rita": make_user("rita", "Rita Reader"),
        "con": make_user("con", "Con Tributor"),
    }


@pytest.fixture
def team(site_root, content, people, dbsession):
    """/team (published) where eve edits, rex reviews and con contributes."""
    team = content.add_folder(site_root, "team", "Team")
    SharingService(dbsession).update(
        team,
        {
            f"user:{people['eve'].id}": ["Editor"],
            f"user:{people['rex'].id}": ["Reviewer"],
            f"user:{people['con'].id}": ["Contributor"],
        },
    )
    dbsession.flush()
    return team


@pytest.fixture
def tokens(people, bearer):
    return {name: bearer(user) for name, user in people.items()}


def new_document(anonymous_app, headers, name="memo", folder="/team"):
    """A document added through the API by the holder of ``headers``: it starts private."""
    response = anonymous_app.post_json(
        f"{API}{folder}",
        {"@type": "Document", "name": name, "title": name.title()},
        headers=headers,
    )
    return response.json


def etag(anonymous_app, headers, path):
    return anonymous_app.get(f"{API}{path}", headers=headers).headers["ETag"]


def take(anonymous_app, headers, path, transition, comment=None, status=200, if_match=None):
    body = {} if comment is None else {"comment": comment}
    match = if_match or etag(anonymous_app, headers, path)
    return anonymous_app.post_json(
        f"{API}{path}/@workflow/{transition}",
        body,
        headers={**headers, "If-Match": match},
        status=status,
    )


def test_a_new_document_is_private_and_its_workflow_says_what_the_author_may_do(
    anonymous_app, team, tokens
):
    new_document(anonymous_app, tokens["eve"])

    response = anonymous_app.get(f"{API}/team/memo/@workflow", headers=tokens["eve"])

    assert response.json["workflow"] == "simple_publication"
    assert response.json["state"] == "private"
    assert response.json["state_title"] == "Private"
    assert [t["name"] for t in response.json["transitions"]] == ["submit"]
    assert response.json["transitions"][0]["@id"] == f"{SITE}{API}/team/memo/@workflow/submit"
    assert response.json["history"] == []


def test_private_and_pending_are_hidden_from_readers_published_is_not(anonymous_app, team, tokens):
    new_document(anonymous_app, tokens["eve"])
    reader = tokens["rita"]

    anonymous_app.get(f"{API}/team/memo", headers=reader, status=404)
    assert "memo" not in [
        i["name"] for i in anonymous_app.get(f"{API}/team", headers=reader).json["items"]
    ]
    # The contributor and the reviewer see it while it is private.
    anonymous_app.get(f"{API}/team/memo", headers=tokens["con"], status=200)
    anonymous_app.get(f"{API}/team/memo", headers=tokens["rex"], status=200)

    take(anonymous_app, tokens["eve"], "/team/memo", "submit")
    anonymous_app.get(f"{API}/team/memo", headers=reader, status=404)

    take(anonymous_app, tokens["rex"], "/team/memo", "publish")
    anonymous_app.get(f"{API}/team/memo", headers=reader, status=200)
    listed = anonymous_app.get(f"{API}/team", headers=reader).json["items"]
    assert "memo" in [item["name"] for item in listed]


def test_each_transition_writes_one_history_row_and_one_audit_entry(
    anonymous_app, team, tokens, dbsession
):
    new_document(anonymous_app, tokens["eve"])

    first = take(anonymous_app, tokens["eve"], "/team/memo", "submit", comment="ready")
    second = take(anonymous_app, tokens["rex"], "/team/memo", "publish")

    assert first.json["from"] == "private"
    assert first.json["to"] == "pending"
    assert first.json["visible"] is True
    assert first.json["node"]["@id"] == f"{SITE}{API}/team/memo"
    assert second.json["to"] == "published"
    history = anonymous_app.get(f"{API}/team/memo/@workflow", headers=tokens["rita"]).json[
        "history"
    ]
    assert [(s["actor"], s["transition"], s["from"], s["to"], s["comment"]) for s in history] == [
        ("rex", "publish", "pending", "published", ""),
        ("eve", "submit", "private", "pending", "ready"),
    ]
    entries = dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == "workflow.transition").order_by(AuditEntry.id)
    ).all()
    assert [(e.actor_login, e.details["to_state"]) for e in entries] == [
        ("eve", "pending"),
        ("rex", "published"),
    ]


def test_a_transition_moves_the_version_on_and_a_stale_if_match_is_refused(
    anonymous_app, team, tokens, dbsession
):
    new_document(anonymous_app, tokens["eve"])
    old = etag(anonymous_app, tokens["eve"], "/team/memo")
    take(anonymous_app, tokens["eve"], "/team/memo", "submit", if_match=old)

    refused = take(anonymous_app, tokens["eve"], "/team/memo", "retract", if_match=old, status=412)

    assert_problem(refused, 412)
    assert refused.json["current_version"] == 2
    node = dbsession.scalars(select(Node).where(Node.path == "/team/memo")).one()
    dbsession.refresh(node)
    assert node.workflow_state == "pending"


def test_without_if_match_428(anonymous_app, team, tokens):
    new_document(anonymous_app, tokens["eve"])
    response = anonymous_app.post_json(
        f"{API}/team/memo/@workflow/submit", {}, headers=tokens["eve"], status=428
    )
    assert_problem(response, 428)


@pytest.mark.parametrize(
    ("who", "transition", "status", "reason"),
    [
        ("eve", "publish", 409, "not-available-in-state"),
        ("eve", "fly", 404, "unknown-transition"),
        ("rex", "submit", 403, "not-permitted"),
    ],
)
def test_refusals_are_specific_and_change_nothing(
    anonymous_app, team, tokens, dbsession, who, transition, status, reason
):
    new_document(anonymous_app, tokens["eve"])
    before = dbsession.scalar(select(func.count()).select_from(WorkflowStep))

    response = take(anonymous_app, tokens[who], "/team/memo", transition, status=status)

    assert_problem(response, status)
    assert response.json["reason"] == reason
    assert response.json["type"] == f"urn:charter:problem:workflow:{reason}"
    assert dbsession.scalar(select(func.count()).select_from(WorkflowStep)) == before
    state = anonymous_app.get(f"{API}/team/memo/@workflow", headers=tokens["eve"]).json["state"]
    assert state == "private"


def test_rejecting_needs_a_comment(anonymous_app, team, tokens):
    new_document(anonymous_app, tokens["eve"])
    take(anonymous_app, tokens["eve"], "/team/memo", "submit")

    refused = take(anonymous_app, tokens["rex"], "/team/memo", "reject", status=400)
    blank = take(anonymous_app, tokens["rex"], "/team/memo", "reject", comment="  ", status=400)
    done = take(anonymous_app, tokens["rex"], "/team/memo", "reject", comment="Needs figures")

    assert refused.json["reason"] == blank.json["reason"] == "comment-required"
    assert done.json["to"] == "private"


@pytest.mark.parametrize("comment", [5, None])
def test_a_comment_that_is_not_text_is_invalid_input(anonymous_app, team, tokens, comment):
    new_document(anonymous_app, tokens["eve"])
    response = anonymous_app.post_json(
        f"{API}/team/memo/@workflow/submit",
        {"comment": comment},
        headers={**tokens["eve"], "If-Match": etag(anonymous_app, tokens["eve"], "/team/memo")},
        status=400,
    )
    assert_problem(response, 400)
    assert response.json["errors"][0]["pointer"] == "/comment"


def test_retracting_what_only_the_owner_and_readers_see_answers_visible_false(
    anonymous_app, site_root, content, make_user, bearer, dbsession
):
    # owen contributes in /open and reads everywhere; a site-wide Reviewer, rae, publishes.
    owen = make_user("owen")
    rae = make_user("rae", global_roles=["Reviewer"])
    folder = content.add_folder(site_root, "open", "Open")
    SharingService(dbsession).update(folder, {f"user:{owen.id}": ["Contributor"]})
    dbsession.flush()
    owner, reviewer = bearer(owen), bearer(rae)
    new_document(anonymous_app, owner, "note", folder="/open")
    take(anonymous_app, owner, "/open/note", "submit")
    take(anonymous_app, reviewer, "/open/note", "publish")
    # rae only reviews: retracting is the author's; rae's Reviewer role still sees private.
    response = take(anonymous_app, reviewer, "/open/note", "retract", status=403)
    assert response.json["reason"] == "not-permitted"


def test_the_anonymous_see_published_items_only_on_a_public_site(
    anonymous_app, team, tokens, charter_app, monkeypatch
):
    new_document(anonymous_app, tokens["eve"])
    take(anonymous_app, tokens["eve"], "/team/memo", "submit")
    take(anonymous_app, tokens["rex"], "/team/memo", "publish")
    new_document(anonymous_app, tokens["eve"], "draft")

    anonymous_app.get(f"{API}/team/memo", status=401)
    monkeypatch.setitem(charter_app.registry.settings, "charter.public_site", True)
    assert anonymous_app.get(f"{API}/team/memo").json["title"] == "Memo"
    listed = [item["name"] for item in anonymous_app.get(f"{API}/team").json["items"]]
    assert listed == ["memo"]
    anonymous_app.get(f"{API}/team/draft", status=401)


def test_a_node_without_a_workflow_says_so(anonymous_app, site_root, admin_user, bearer, dbsession):
    site_root.workflow_state = None
    dbsession.flush()
    headers = bearer(admin_user)
    response = anonymous_app.get(f"{API}/@workflow", headers=headers)
    assert response.json["state"] is None
    assert response.json["transitions"] == []
    refused = anonymous_app.post_json(
        f"{API}/@workflow/submit", {}, headers={**headers, "If-Match": '"1"'}, status=409
    )
    assert refused.json["reason"] == "no-workflow"


# -- bulk -----------------------------------------------------------------------


def test_bulk_answers_one_result_per_item_in_order(anonymous_app, team, tokens, dbsession):
    for name in ("a", "b", "c"):
        new_document(anonymous_app, tokens["eve"], name)
    take(anonymous_app, tokens["eve"], "/team/c", "submit")
    uid_of_b = anonymous_app.get(f"{API}/team/b", headers=tokens["eve"]).json["uid"]

    response = anonymous_app.post_json(
        "/api/v1/@workflow",
        {
            "transition": "submit",
            "items": ["/team/a", uid_of_b, "/team/c", "/team/nothing", "/team/a"],
        },
        headers=tokens["eve"],
    )

    items = response.json["items"]
    assert [(i["item"], i["status"], i["reason"]) for i in items] == [
        ("/team/a", 200, None),
        (uid_of_b, 200, None),
        ("/team/c", 409, "not-available-in-state"),
        ("/team/nothing", 404, "not-found"),
        ("/team/a", 409, "duplicate"),
    ]
    assert response.json["done"] == 2
    assert response.json["refused"] == 3
    assert items[1]["path"] == "/team/b"
    assert items[1]["to"] == "pending"
    states = dict(
        dbsession.execute(
            select(Node.name, Node.workflow_state).where(Node.parent_id == team.id)
        ).all()
    )
    assert states == {"a": "pending", "b": "pending", "c": "pending"}
    assert dbsession.scalar(select(func.count()).select_from(WorkflowStep)) == 3


def test_bulk_hides_what_the_caller_may_not_see(anonymous_app, team, tokens):
    new_document(anonymous_app, tokens["eve"], "secret")
    response = anonymous_app.post_json(
        "/api/v1/@workflow",
        {"transition": "submit", "items": ["/team/secret"]},
        headers=tokens["rita"],
    )
    assert response.json["items"][0]["status"] == 404
    assert response.json["items"][0]["path"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"transition": "submit"},
        {"transition": "submit", "items": []},
        {"transition": "submit", "items": "/team"},
        {"transition": 3, "items": ["/team"]},
        {"transition": "submit", "items": ["/team"] * 1001},
        {"transition": "submit", "items": ["/team"], "comment": None},
        {"transition": "submit", "items": ["/team", {}]},
        {"transition": "submit", "items": [7]},
    ],
)
def test_bulk_refuses_a_malformed_request(anonymous_app, team, tokens, body):
    response = anonymous_app.post_json("/api/v1/@workflow", body, headers=tokens["eve"], status=400)
    assert_problem(response, 400)


def test_bulk_refuses_a_key_it_does_not_know_and_changes_nothing(
    anonymous_app, team, tokens, dbsession
):
    new_document(anonymous_app, tokens["eve"])

    response = anonymous_app.post_json(
        "/api/v1/@workflow",
        {"transition": "submit", "items": ["/team/memo"], "force": True},
        headers=tokens["eve"],
        status=400,
    )

    assert_problem(response, 400)
    assert [error["pointer"] for error in response.json["errors"]] == ["/force"]
    assert dbsession.scalar(select(func.count()).select_from(WorkflowStep)) == 0


def test_a_transition_refuses_a_key_other_than_comment(anonymous_app, team, tokens):
    new_document(anonymous_app, tokens["eve"])

    response = anonymous_app.post_json(
        f"{API}/team/memo/@workflow/submit",
        {"comment": "ready", "to": "published"},
        headers={**tokens["eve"], "If-Match": etag(anonymous_app, tokens["eve"], "/team/memo")},
        status=400,
    )

    assert [error["pointer"] for error in response.json["errors"]] == ["/to"]
    state = anonymous_app.get(f"{API}/team/memo/@workflow", headers=tokens["eve"]).json["state"]
    assert state == "private"


def test_bulk_names_each_item_that_is_not_a_string(anonymous_app, team, tokens):
    response = anonymous_app.post_json(
        "/api/v1/@workflow",
        {"transition": "submit", "items": ["/team", {}, None]},
        headers=tokens["eve"],
        status=400,
    )
    assert [error["pointer"] for error in response.json["errors"]] == ["/items/1", "/items/2"]


def test_bulk_refuses_a_transition_name_holding_nul_as_its_schema_says(anonymous_app, team, tokens):
    response = anonymous_app.post_json(
        "/api/v1/@workflow",
        {"transition": "sub\x00mit", "items": ["/team"]},
        headers=tokens["eve"],
        status=400,
    )
    document = anonymous_app.get("/api/v1/openapi.json").json
    body = document["paths"]["/api/v1/@workflow"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]["properties"]["transition"]

    assert [error["pointer"] for error in response.json["errors"]] == ["/transition"]
    assert re.fullmatch(schema["pattern"], "sub\x00mit") is None


def test_bulk_needs_a_login(anonymous_app, team):
    anonymous_app.post_json(
        "/api/v1/@workflow",
        {"transition": "submit", "items": ["/team"]},
        headers={"Authorization": "Bearer not-a-token"},
        status=401,
    )


def test_a_read_only_token_may_not_take_transitions(anonymous_app, team, people, bearer, tokens):
    new_document(anonymous_app, tokens["eve"])
    read_only = bearer(people["eve"], scope="read")
    response = take(anonymous_app, read_only, "/team/memo", "submit", status=403)
    assert response.json["reason"] == "not-permitted"
