"""Administrators changing accounts and groups at once, on a live server.

Changes and removal of one group apply one at a time (its row is locked): a
change racing the removal lands first or finds the group gone, two removals
remove it once. Never a 5xx; one create of a name wins.
"""

CLIENTS = 16


def test_changes_racing_the_removal_of_a_group_land_first_or_find_it_gone(live):
    admin = live.make_user(global_roles=["Administrator"])
    members = [live.make_user() for _ in range(4)]
    created = live.request(
        "POST", "/api/v1/groups", user=admin, json_body={"name": "racers", "members": []}
    )
    assert created.status == 201, live.explain("create", [created])

    responses = live.race(
        [
            live.prepare(
                "PATCH",
                "/api/v1/groups/racers",
                user=admin,
                json_body={"members": [members[n % 4].login], "title": f"Racers {n}"},
            )
            for n in range(CLIENTS)
        ]
        + [live.prepare("DELETE", "/api/v1/groups/racers", user=admin) for _ in range(3)]
    )

    counts = live.assert_statuses(responses, {200, 204, 404})
    assert counts[204] == 1, live.explain(f"statuses {counts}", responses)
    assert live.request("GET", "/api/v1/groups/racers", user=admin).status == 404
    assert len(live.audit_entries("group.deleted", target="group:racers")) == 1


def test_one_of_racing_creates_of_a_name_wins(live):
    admin = live.make_user(global_roles=["Administrator"])
    account = {"login": "twin", "email": "twin@example.com", "password": "a long password 123"}

    responses = live.race(
        [live.prepare("POST", "/api/v1/groups", user=admin, json_body={"name": "twins"})] * 6
        + [live.prepare("POST", "/api/v1/users", user=admin, json_body=account)] * 6
    )

    live.assert_statuses(responses, {201, 409})
    assert [r.status for r in responses[:6]].count(201) == 1
    assert [r.status for r in responses[6:]].count(201) == 1
