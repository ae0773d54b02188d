"""Search rows under concurrent writers on a live server (the index is written in each change's
transaction, so it always agrees with what committed)."""

from urllib.parse import quote

CLIENTS = 20


def found(live, user, words):
    """The titles ``user`` finds for ``words`` (one page of up to 100) and the facets' total."""
    response = live.request("GET", f"/api/v1/search?q={quote(words)}&limit=100", user=user)
    assert response.status == 200, live.explain("search", [response])
    return {item["title"] for item in response.json["items"]}, response.json["facets"]["total"]


def test_concurrent_changes_of_different_documents_are_all_searchable(live, live_folder):
    editor = live.make_user(roles={live_folder.path: ["Editor"]})
    documents = live.add_documents(live_folder.path, [f"note-{n}" for n in range(CLIENTS)])

    responses = live.race(
        [
            live.prepare(
                "PATCH",
                document.api_path,
                user=editor,
                json_body={"title": f"Kestrel {n}"},
                headers={"If-Match": f'"{document.version}"'},
            )
            for n, document in enumerate(documents)
        ]
    )

    live.assert_statuses(responses, {200})
    titles, total = found(live, editor, "kestrel")
    assert titles == {f"Kestrel {n}" for n in range(CLIENTS)}
    assert total == CLIENTS


def test_of_racing_edits_of_one_document_only_the_winner_is_indexed(live, live_folder):
    editor = live.make_user(roles={live_folder.path: ["Editor"]})
    (document,) = live.add_documents(live_folder.path, ["contested"])
    words = [f"word{chr(ord('a') + n)}x" for n in range(CLIENTS)]

    responses = live.race(
        [
            live.prepare(
                "PATCH",
                document.api_path,
                user=editor,
                json_body={"title": f"Contested {word}"},
                headers={"If-Match": f'"{document.version}"'},
            )
            for word in words
        ]
    )

    counts = live.assert_statuses(responses, {200, 412})
    assert counts == {200: 1, 412: CLIENTS - 1}, live.explain(f"statuses {counts}", responses)
    (winner,) = [r.json["title"] for r in responses if r.status == 200]
    for word in words:
        titles, _ = found(live, editor, word)
        assert titles == ({winner} if winner.endswith(word) else set())
