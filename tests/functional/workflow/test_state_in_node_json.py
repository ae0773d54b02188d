"""A node's JSON (and each item of a folder's page) says its workflow state, as ``state`` of
its ``@workflow`` does; null for a type that follows no workflow."""

from charter.security.sharing import SharingService

API = "/api/v1/content"


def test_a_node_and_the_items_of_its_folder_say_their_state(
    anonymous_app, site_root, content, make_user, bearer, dbsession
):
    folder = content.add_folder(site_root, "team", "Team")
    content.add_document(folder, "memo", "Memo", "")
    eve = make_user("eve", "Eve Editor")
    SharingService(dbsession).update(folder, {f"user:{eve.id}": ["Editor"]})
    headers = bearer(eve)
    anonymous_app.post_json(
        f"{API}/team/memo/@workflow/retract",
        {},
        headers={
            **headers,
            "If-Match": anonymous_app.get(f"{API}/team/memo", headers=headers).headers["ETag"],
        },
    )

    memo = anonymous_app.get(f"{API}/team/memo", headers=headers).json
    workflow = anonymous_app.get(f"{API}/team/memo/@workflow", headers=headers).json
    team = anonymous_app.get(f"{API}/team", headers=headers).json

    assert memo["state"] == workflow["state"] == "private"
    assert team["state"] == "published"
    assert [(item["name"], item["state"]) for item in team["items"]] == [("memo", "private")]
