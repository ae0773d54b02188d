"""Hostile query strings, headers, path segments and bodies sent to every view.

Every view the app registers is found through Pyramid's introspection and
must have an entry in ``ENDPOINTS`` (a route added later without one fails
``test_every_view_has_a_property_test``). Each entry says how to reach the
view and what it reads; the tests send hostile input there as anonymous
visitors, readers, editors and administrators (by API token or by session
cookie) and check the answer: never a 5xx; an API refusal is a problem
document (with pointers for invalid input), an HTML refusal the error page
or the form again with the reason; and a refusal or a read changed nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pyramid.config.predicates import not_
from pyramid.interfaces import IExceptionResponse
from pyramid.static import static_view

from charter.testing import strategies as hostile

CALLERS = ("anonymous", "reader", "editor", "admin")


@dataclass(frozen=True)
class Endpoint:
    """How to reach one view, and the input it reads."""

    view: str  # the view's key, as view_key() makes it from the registry
    method: str
    path: str  # formatted with the world's ids; "{segment}" is where hostile segments go
    segment: str | None = None  # the segment's ordinary value, when the path has one
    body: str | None = None  # "json", "form", "upload" (multipart) or "raw"
    fields: dict[str, Any] = field(default_factory=dict)  # an acceptable body
    query: tuple[str, ...] = ()  # the query parameters the view reads
    headers: dict[str, str] = field(default_factory=dict)  # headers an acceptable request has
    accept: str | None = None

    @property
    def api(self) -> bool:
        """Whether errors here are problem documents whatever the Accept header says."""
        return self.path.startswith("/api/")

    def url(self, ids: dict[str, Any], segment: str | None = None) -> str:
        """The URL with the world's ids, and ``segment`` in place of the ordinary one."""
        return self.path.format(**ids, segment=segment if segment is not None else self.segment)


def view_key(view: dict[str, Any]) -> str | None:
    """``"<methods> <route or traversal>:<context>/<name> [<param>] -> <callable>"`` for a
    view of the registry; None for exception and static views."""
    context = view["context"]
    if isinstance(context, type) and issubclass(context, BaseException):
        return None
    if context is IExceptionResponse:
        return None  # Pyramid's default view of HTTP exceptions
    if isinstance(view["callable"], static_view):
        return None
    methods = view["request_methods"]
    if isinstance(methods, not_):
        methods = "!" + ",".join(sorted(methods.value))
    elif methods is None:
        methods = "ANY"
    else:
        methods = ",".join(sorted(methods)) if not isinstance(methods, str) else methods
    where = view["route_name"] or "traversal"
    kind = getattr(context, "__name__", "*")
    param = f" [{view['request_param']}]" if view["request_param"] else ""
    name = getattr(view["callable"], "__name__", repr(view["callable"]))
    return f"{methods} {where}:{kind}/{view['name']}{param} -> {name}"


def registered_views(registry: Any) -> set[str]:
    """The keys of every view (but exception and static views) the app registered."""
    keys = (
        view_key(entry["introspectable"]) for entry in registry.introspector.get_category("views")
    )
    return {key for key in keys if key is not None}


CONTENT = "/api/v1/content"
NODE_FIELDS = {"title": "Guide", "description": "About it.", "body": "# Guide"}
NEW_DOCUMENT = {"@type": "Document", "name": "notes", **NODE_FIELDS}
PAGE = ("limit", "after")
# What a search reads (charter.search.service.SearchRequest).
SEARCH = ("q", "sort", "type", "state", "modified_after", "modified_before", "owner", "limit")
SEARCH += ("after", "facets")

ENDPOINTS = [
    # -- content through the API
    Endpoint(
        "GET,HEAD api.content:Node/ -> content_json",
        "GET",
        CONTENT + "/docs/{segment}",
        segment="team",
        query=PAGE,
    ),
    Endpoint(
        "!GET,HEAD api.content:Node/ -> content_method_not_allowed",
        "PUT",
        CONTENT + "/docs/{segment}",
        segment="guide",
    ),
    Endpoint(
        "POST api.content:Node/ -> create_node",
        "POST",
        CONTENT + "/{segment}",
        segment="docs",
        body="json",
        fields=NEW_DOCUMENT,
    ),
    Endpoint(
        "POST api.content:Node/ -> upload_file",
        "POST",
        CONTENT + "/{segment}",
        segment="docs",
        body="raw",
        query=("name", "title"),
        headers={"Slug": "report.txt"},
    ),
    Endpoint(
        "PATCH api.content:Node/ -> update_node",
        "PATCH",
        CONTENT + "/docs/{segment}",
        segment="guide",
        body="json",
        fields=NODE_FIELDS,
        query=PAGE,
        headers={"If-Match": '"1"'},
    ),
    Endpoint(
        "DELETE api.content:Node/ -> delete_node",
        "DELETE",
        CONTENT + "/docs/{segment}",
        segment="team",
        headers={"If-Match": '"1"'},
    ),
    Endpoint(
        "POST api.content:Node/@move -> move_node",
        "POST",
        CONTENT + "/docs/{segment}/@move",
        segment="guide",
        body="json",
        fields={"destination": "/target", "name": "moved"},
    ),
    Endpoint(
        "POST api.content:Node/@copy -> copy_node",
        "POST",
        CONTENT + "/docs/{segment}/@copy",
        segment="team",
        body="json",
        fields={"destination": "{target_uid}", "name": "copied"},
    ),
    Endpoint(
        "POST api.content:Node/@order -> order_children",
        "POST",
        CONTENT + "/{segment}/@order",
        segment="docs",
        body="json",
        fields={"order": ["team", "guide"]},
        query=PAGE,
    ),
    Endpoint(
        "GET api.content:Node/@sharing -> show_sharing",
        "GET",
        CONTENT + "/{segment}/@sharing",
        segment="docs",
    ),
    Endpoint(
        "POST api.content:Node/@sharing -> change_sharing",
        "POST",
        CONTENT + "/{segment}/@sharing",
        segment="docs",
        body="json",
        fields={"inherit": True, "entries": [{"principal": "group:board", "roles": ["Reader"]}]},
    ),
    Endpoint(
        "!GET,HEAD,POST api.content:Node/@sharing -> sharing_method_not_allowed",
        "DELETE",
        CONTENT + "/{segment}/@sharing",
        segment="docs",
    ),
    Endpoint(
        "GET,HEAD api.content:File/@download -> download_file",
        "GET",
        CONTENT + "/docs/{segment}/@download",
        segment="notes.txt",
        headers={"Range": "bytes=0-3"},
    ),
    Endpoint(
        "GET,HEAD api.node:*/ -> node_by_uid",
        "GET",
        "/api/v1/nodes/{segment}",
        segment="{guide_uid}",
    ),
    Endpoint(
        "!GET,HEAD api.node:*/ -> node_by_uid_method_not_allowed",
        "POST",
        "/api/v1/nodes/{segment}",
        segment="{guide_uid}",
    ),
    Endpoint("GET,HEAD api.types:*/ -> list_types", "GET", "/api/v1/types"),
    Endpoint("!GET,HEAD api.types:*/ -> types_method_not_allowed", "POST", "/api/v1/types"),
    Endpoint(
        "GET,HEAD api.type:*/ -> show_type", "GET", "/api/v1/types/{segment}", segment="Folder"
    ),
    Endpoint(
        "!GET,HEAD api.type:*/ -> types_method_not_allowed",
        "DELETE",
        "/api/v1/types/{segment}",
        segment="Folder",
    ),
    # -- people through the API
    Endpoint("GET api.users:*/ -> list_users", "GET", "/api/v1/users", query=("q",)),
    Endpoint(
        "POST api.users:*/ -> create_user",
        "POST",
        "/api/v1/users",
        body="json",
        fields={
            "login": "ann",
            "email": "ann@example.com",
            "full_name": "Ann Lee",
            "password": "a long passphrase",
        },
    ),
    Endpoint("!GET,HEAD,POST api.users:*/ -> method_not_allowed", "DELETE", "/api/v1/users"),
    Endpoint("GET api.user:*/ -> show_user", "GET", "/api/v1/users/{segment}", segment="{user}"),
    Endpoint(
        "PATCH api.user:*/ -> update_user",
        "PATCH",
        "/api/v1/users/{segment}",
        segment="{user}",
        body="json",
        fields={
            "email": "sam@example.com",
            "full_name": "Sam",
            "active": True,
            "global_roles": ["Reviewer"],
            "password": "another long passphrase",
        },
    ),
    Endpoint(
        "DELETE api.user:*/ -> deactivate_user",
        "DELETE",
        "/api/v1/users/{segment}",
        segment="{user}",
    ),
    Endpoint(
        "!DELETE,GET,HEAD,PATCH api.user:*/ -> method_not_allowed",
        "POST",
        "/api/v1/users/{segment}",
        segment="{user}",
    ),
    Endpoint(
        "DELETE api.user.sessions:*/ -> end_user_sessions",
        "DELETE",
        "/api/v1/users/{segment}/sessions",
        segment="{user}",
    ),
    Endpoint(
        "!DELETE api.user.sessions:*/ -> method_not_allowed",
        "GET",
        "/api/v1/users/{segment}/sessions",
        segment="{user}",
    ),
    Endpoint("GET api.groups:*/ -> list_groups", "GET", "/api/v1/groups", query=("q",)),
    Endpoint(
        "POST api.groups:*/ -> create_group",
        "POST",
        "/api/v1/groups",
        body="json",
        fields={"name": "auditors", "title": "Auditors", "members": ["staff"]},
    ),
    Endpoint("!GET,HEAD,POST api.groups:*/ -> method_not_allowed", "PUT", "/api/v1/groups"),
    Endpoint("GET api.group:*/ -> show_group", "GET", "/api/v1/groups/{segment}", segment="board"),
    Endpoint(
        "PATCH api.group:*/ -> update_group",
        "PATCH",
        "/api/v1/groups/{segment}",
        segment="board",
        body="json",
        fields={"title": "The board", "members": ["bo", "staff"]},
    ),
    Endpoint(
        "DELETE api.group:*/ -> delete_group",
        "DELETE",
        "/api/v1/groups/{segment}",
        segment="board",
    ),
    Endpoint(
        "!DELETE,GET,HEAD,PATCH api.group:*/ -> method_not_allowed",
        "POST",
        "/api/v1/groups/{segment}",
        segment="board",
    ),
    Endpoint("GET api.me:*/ -> show_me", "GET", "/api/v1/me"),
    Endpoint(
        "PATCH api.me:*/ -> update_me",
        "PATCH",
        "/api/v1/me",
        body="json",
        fields={
            "email": "me@example.com",
            "full_name": "Me",
            "password": "a new long passphrase",
            "current_password": "correct horse battery staple",
        },
    ),
    Endpoint("!GET,HEAD,PATCH api.me:*/ -> method_not_allowed", "DELETE", "/api/v1/me"),
    Endpoint("GET api.me.tokens:*/ -> list_tokens", "GET", "/api/v1/me/tokens"),
    Endpoint(
        "POST api.me.tokens:*/ -> create_token",
        "POST",
        "/api/v1/me/tokens",
        body="json",
        fields={"name": "export", "scope": "read", "expires": "2099-06-30T00:00:00Z"},
    ),
    Endpoint("!GET,HEAD,POST api.me.tokens:*/ -> method_not_allowed", "PUT", "/api/v1/me/tokens"),
    Endpoint(
        "GET api.me.token:*/ -> show_token",
        "GET",
        "/api/v1/me/tokens/{segment}",
        segment="{token}",
    ),
    Endpoint(
        "DELETE api.me.token:*/ -> revoke_token",
        "DELETE",
        "/api/v1/me/tokens/{segment}",
        segment="{token}",
    ),
    Endpoint(
        "!DELETE,GET,HEAD api.me.token:*/ -> method_not_allowed",
        "PATCH",
        "/api/v1/me/tokens/{segment}",
        segment="{token}",
    ),
    Endpoint("GET api.me.sessions:*/ -> list_sessions", "GET", "/api/v1/me/sessions"),
    Endpoint("DELETE api.me.sessions:*/ -> end_other_sessions", "DELETE", "/api/v1/me/sessions"),
    Endpoint(
        "!DELETE,GET,HEAD api.me.sessions:*/ -> method_not_allowed", "POST", "/api/v1/me/sessions"
    ),
    Endpoint(
        "GET api.me.session:*/ -> show_session",
        "GET",
        "/api/v1/me/sessions/{segment}",
        segment="{session}",
    ),
    Endpoint(
        "DELETE api.me.session:*/ -> end_session",
        "DELETE",
        "/api/v1/me/sessions/{segment}",
        segment="{session}",
    ),
    Endpoint(
        "!DELETE,GET,HEAD api.me.session:*/ -> method_not_allowed",
        "PUT",
        "/api/v1/me/sessions/{segment}",
        segment="{session}",
    ),
    # -- content pages, and the same URLs asked for as JSON
    Endpoint(
        "GET,HEAD traversal:Folder/ -> folder_page", "GET", "/{segment}", segment="docs", query=PAGE
    ),
    Endpoint(
        "GET,HEAD traversal:Document/ -> document_page",
        "GET",
        "/docs/{segment}",
        segment="guide",
    ),
    Endpoint(
        "GET,HEAD traversal:File/ -> file_page", "GET", "/docs/{segment}", segment="notes.txt"
    ),
    Endpoint(
        "GET,HEAD traversal:Folder/ -> content_json",
        "GET",
        "/{segment}",
        segment="docs",
        query=PAGE,
        accept="application/json",
    ),
    Endpoint(
        "GET,HEAD traversal:Document/ -> content_json",
        "GET",
        "/docs/{segment}",
        segment="guide",
        accept="application/json",
    ),
    Endpoint(
        "GET,HEAD traversal:File/ -> content_json",
        "GET",
        "/docs/{segment}",
        segment="notes.txt",
        accept="application/json",
    ),
    Endpoint(
        "GET,HEAD traversal:Node/ -> content_json",
        "GET",
        "/docs/team/{segment}",
        segment="people",
        accept="application/json;q=1, text/html;q=0.5",
    ),
    Endpoint(
        "GET,HEAD traversal:File/download -> download_file",
        "GET",
        "/docs/{segment}/@@download",
        segment="notes.txt",
        headers={"Range": "bytes=1-"},
    ),
    Endpoint(
        "GET,HEAD traversal:File/thumbnail -> thumbnail",
        "GET",
        "/docs/{segment}/@@thumbnail",
        segment="notes.txt",
        headers={"If-None-Match": '"x"'},
    ),
    # -- editing pages
    Endpoint(
        "GET traversal:Node/contents -> contents_page",
        "GET",
        "/{segment}/@@contents",
        segment="docs",
        query=("sort", "limit", "after"),
    ),
    Endpoint(
        "POST traversal:Node/contents -> contents_action",
        "POST",
        "/{segment}/@@contents",
        segment="docs",
        body="form",
        fields={"action": "reorder", "position-guide": "2", "position-team": "1", "after": ""},
    ),
    Endpoint(
        "GET traversal:Node/delete-items -> delete_selection_confirmation",
        "GET",
        "/{segment}/@@delete-items",
        segment="docs",
        query=("item",),
    ),
    Endpoint(
        "POST traversal:Node/delete-items -> delete_selection",
        "POST",
        "/{segment}/@@delete-items",
        segment="docs",
        body="form",
        fields={"item": "guide", "version-guide": "1"},
    ),
    Endpoint(
        "GET traversal:Node/move-items -> selection_picker",
        "GET",
        "/{segment}/@@move-items",
        segment="docs",
        query=("item", "at", "after"),
    ),
    Endpoint(
        "POST traversal:Node/move-items -> transfer_selection",
        "POST",
        "/{segment}/@@move-items",
        segment="docs",
        body="form",
        fields={"item": "guide", "destination": "/target", "name": "moved"},
    ),
    Endpoint(
        "GET traversal:Node/copy-items -> selection_picker",
        "GET",
        "/{segment}/@@copy-items",
        segment="docs",
        query=("item", "at", "after"),
    ),
    Endpoint(
        "POST traversal:Node/copy-items -> transfer_selection",
        "POST",
        "/{segment}/@@copy-items",
        segment="docs",
        body="form",
        fields={"item": "team", "destination": "/target", "name": "copied"},
    ),
    Endpoint(
        "GET traversal:Node/add -> add_form",
        "GET",
        "/{segment}/@@add",
        segment="docs",
        query=("type",),
    ),
    Endpoint(
        "POST traversal:Node/add -> add_item",
        "POST",
        "/{segment}/@@add?type=Document",
        segment="docs",
        body="form",
        fields={"title": "Notes", "description": "", "body": "Text", "name": "notes"},
    ),
    Endpoint(
        "GET traversal:Node/delete -> delete_confirmation",
        "GET",
        "/docs/{segment}/@@delete",
        segment="team",
    ),
    Endpoint(
        "POST traversal:Node/delete -> delete_item",
        "POST",
        "/docs/{segment}/@@delete",
        segment="team",
        body="form",
        fields={"version": "1"},
    ),
    Endpoint(
        "GET traversal:Node/edit -> edit_form", "GET", "/docs/{segment}/@@edit", segment="guide"
    ),
    Endpoint(
        "POST traversal:Node/edit -> save_edit",
        "POST",
        "/docs/{segment}/@@edit",
        segment="guide",
        body="form",
        fields={**NODE_FIELDS, "version": "1"},
    ),
    Endpoint(
        "POST traversal:Node/markdown-preview -> markdown_preview",
        "POST",
        "/docs/{segment}/@@markdown-preview",
        segment="guide",
        body="form",
        fields={"text": "# Guide\n\n**Read** [this](javascript:alert(1))"},
    ),
    Endpoint(
        "GET traversal:Node/rename -> rename_form",
        "GET",
        "/docs/{segment}/@@rename",
        segment="guide",
    ),
    Endpoint(
        "POST traversal:Node/rename -> rename_item",
        "POST",
        "/docs/{segment}/@@rename",
        segment="guide",
        body="form",
        fields={"name": "handbook"},
    ),
    Endpoint(
        "GET traversal:Node/move -> transfer_picker",
        "GET",
        "/docs/{segment}/@@move",
        segment="guide",
        query=("at", "after"),
    ),
    Endpoint(
        "POST traversal:Node/move -> transfer_item",
        "POST",
        "/docs/{segment}/@@move",
        segment="guide",
        body="form",
        fields={"destination": "/target", "name": "moved"},
        query=("at",),
    ),
    Endpoint(
        "GET traversal:Node/copy -> transfer_picker",
        "GET",
        "/docs/{segment}/@@copy",
        segment="team",
        query=("at", "after"),
    ),
    Endpoint(
        "POST traversal:Node/copy -> transfer_item",
        "POST",
        "/docs/{segment}/@@copy",
        segment="team",
        body="form",
        fields={"destination": "/target", "name": "copied"},
        query=("at",),
    ),
    Endpoint(
        "GET traversal:Node/upload -> upload_form", "GET", "/{segment}/@@upload", segment="docs"
    ),
    Endpoint(
        "POST traversal:Node/upload -> upload_files",
        "POST",
        "/{segment}/@@upload",
        segment="docs",
        body="upload",
        fields={"title": "Report", "description": "Figures."},
    ),
    Endpoint(
        "GET traversal:Node/sharing -> sharing_page",
        "GET",
        "/{segment}/@@sharing",
        segment="docs",
        query=("q",),
    ),
    Endpoint(
        "GET traversal:Node/principals -> pick_principals",
        "GET",
        "/{segment}/@@principals",
        segment="docs",
        query=("q", "kind"),
        accept="application/json",
    ),
    Endpoint(
        "POST traversal:Node/sharing -> update_sharing",
        "POST",
        "/{segment}/@@sharing",
        segment="docs",
        body="form",
        fields={
            "entry-0-principal": "group:board",
            "entry-0-roles": "Reader",
            "inherit": "on",
            "add": "",
        },
    ),
    # -- logging in and the account pages
    Endpoint("GET login:*/ -> login_form", "GET", "/login", query=("came_from",)),
    Endpoint("GET,HEAD favicon:*/ -> favicon", "GET", "/favicon.ico"),
    Endpoint(
        "POST language:*/ -> choose_language",
        "POST",
        "/language",
        body="form",
        fields={"language": "de", "came_from": "/"},
    ),
    Endpoint(
        "POST login:*/ -> login_submit",
        "POST",
        "/login",
        body="form",
        fields={"login": "staff", "password": "correct horse battery staple", "came_from": "/"},
    ),
    Endpoint("POST logout:*/ -> logout", "POST", "/logout", body="form"),
    Endpoint("GET account:*/ -> account_page", "GET", "/account"),
    Endpoint(
        "POST account:*/ -> change_password",
        "POST",
        "/account",
        body="form",
        fields={
            "current_password": "correct horse battery staple",
            "new_password": "a new long passphrase",
            "new_password_repeat": "a new long passphrase",
        },
    ),
    Endpoint(
        "POST account:*/ [action=details] -> change_details",
        "POST",
        "/account",
        body="form",
        fields={"action": "details", "full_name": "Staff", "email": "staff@example.com"},
    ),
    Endpoint(
        "POST account:*/ [action=end-session] -> end_session",
        "POST",
        "/account",
        body="form",
        fields={"action": "end-session", "session_id": "{session}"},
    ),
    Endpoint(
        "POST account:*/ [action=end-other-sessions] -> end_other_sessions",
        "POST",
        "/account",
        body="form",
        fields={"action": "end-other-sessions"},
    ),
    Endpoint("GET account.tokens:*/ -> tokens_page", "GET", "/account/tokens"),
    Endpoint(
        "POST account.tokens:*/ [action=create] -> create_token",
        "POST",
        "/account/tokens",
        body="form",
        fields={"action": "create", "name": "export", "scope": "read", "expires": "2099-06-30"},
    ),
    Endpoint(
        "POST account.tokens:*/ [action=revoke] -> revoke_token",
        "POST",
        "/account/tokens",
        body="form",
        fields={"action": "revoke", "token_id": "{token}"},
    ),
    # -- administration pages
    Endpoint("GET admin.users:*/ -> users_page", "GET", "/admin/users", query=("q",)),
    Endpoint(
        "POST admin.users:*/ -> create_user",
        "POST",
        "/admin/users",
        body="form",
        fields={
            "login": "ann",
            "email": "ann@example.com",
            "full_name": "Ann Lee",
            "password": "a long passphrase",
            "password_repeat": "a long passphrase",
        },
    ),
    Endpoint("GET admin.user:*/ -> user_page", "GET", "/admin/users/{segment}", segment="{user}"),
    Endpoint(
        "POST admin.user:*/ -> change_user",
        "POST",
        "/admin/users/{segment}",
        segment="{user}",
        body="form",
        fields={"action": "profile", "email": "sam@example.com", "full_name": "Sam"},
    ),
    Endpoint("GET admin.groups:*/ -> groups_page", "GET", "/admin/groups", query=("q",)),
    Endpoint(
        "POST admin.groups:*/ -> create_group",
        "POST",
        "/admin/groups",
        body="form",
        fields={"name": "auditors", "title": "Auditors", "members": "staff\nbo"},
    ),
    Endpoint("GET admin.group:*/ -> group_page", "GET", "/admin/groups/{segment}", segment="board"),
    Endpoint(
        "POST admin.group:*/ -> change_group",
        "POST",
        "/admin/groups/{segment}",
        segment="board",
        body="form",
        fields={"action": "edit", "title": "The board", "members": "bo"},
    ),
    # -- the webhook admin pages: {webhook} is an endpoint, {message} one of its messages
    Endpoint("GET admin.webhooks:*/ -> webhooks_page", "GET", "/admin/webhooks"),
    Endpoint(
        "POST admin.webhooks:*/ -> create_webhook",
        "POST",
        "/admin/webhooks",
        body="form",
        fields={
            "url": "https://example.com/hook",
            "description": "Partner",
            "subtree": "/docs",
            "event_types": "content.created",
        },
    ),
    Endpoint(
        "GET admin.webhook:*/ -> webhook_page",
        "GET",
        "/admin/webhooks/{segment}",
        segment="{webhook}",
        query=("before",),
    ),
    Endpoint(
        "POST admin.webhook:*/ -> change_webhook",
        "POST",
        "/admin/webhooks/{segment}",
        segment="{webhook}",
        body="form",
        fields={"action": "redeliver", "message": "{message}"},
    ),
    # -- history: /docs/team/people has versions 1 and 2, notes.txt version 1
    Endpoint(
        "GET,HEAD api.content:Node/@history -> history",
        "GET",
        CONTENT + "/docs/team/{segment}/@history",
        segment="people",
        query=PAGE,
    ),
    Endpoint(
        "GET,HEAD api.content:Node/@history -> revision",
        "GET",
        CONTENT + "/docs/team/{segment}/@history/1",
        segment="people",
    ),
    Endpoint(
        "GET,HEAD api.content:Node/@history -> diff",
        "GET",
        CONTENT + "/docs/team/people/@history/{segment}/@diff/2",
        segment="1",
    ),
    Endpoint(
        "GET,HEAD api.content:File/@history -> download",
        "GET",
        CONTENT + "/docs/notes.txt/@history/{segment}/download",
        segment="1",
    ),
    Endpoint(
        "POST api.content:Node/@history -> restore",
        "POST",
        CONTENT + "/docs/team/people/@history/{segment}/@restore",
        segment="1",
        body="json",
        fields={"@comment": "Back to the first version."},
        headers={"If-Match": '"2"'},
    ),
    Endpoint(
        "!GET,HEAD api.content:Node/@history -> history_method_not_allowed",
        "DELETE",
        CONTENT + "/docs/team/{segment}/@history",
        segment="people",
    ),
    Endpoint(
        "PUT api.content:File/@download -> replace_file",
        "PUT",
        CONTENT + "/docs/{segment}/@download",
        segment="notes.txt",
        body="raw",
        query=("filename", "comment"),
        headers={"If-Match": '"3"', "Slug": "notes-2.txt"},
    ),
    # -- workflow: /docs/team/people is a document in its workflow
    Endpoint(
        "GET,HEAD api.content:Node/@workflow -> show_workflow",
        "GET",
        CONTENT + "/docs/team/{segment}/@workflow",
        segment="people",
    ),
    Endpoint(
        "POST api.content:Node/@workflow -> take_transition",
        "POST",
        CONTENT + "/docs/team/people/@workflow/{segment}",
        segment="submit",
        body="json",
        fields={"comment": "Ready for review."},
        headers={"If-Match": '"2"'},
    ),
    Endpoint("!POST api.workflow.bulk:*/ -> bulk_method_not_allowed", "GET", "/api/v1/@workflow"),
    Endpoint(
        "!GET,HEAD,POST api.content:Node/@workflow -> workflow_method_not_allowed",
        "PUT",
        CONTENT + "/docs/team/{segment}/@workflow",
        segment="people",
    ),
    Endpoint(
        "POST api.workflow.bulk:*/ -> bulk_transition",
        "POST",
        "/api/v1/@workflow",
        body="json",
        fields={"transition": "submit", "items": ["/docs/team/people"], "comment": "Batch."},
    ),
    Endpoint(
        "POST traversal:Node/transition -> take_transition",
        "POST",
        "/docs/team/{segment}/@@transition",
        segment="people",
        body="form",
        fields={"transition": "submit", "comment": "Ready.", "version": "2"},
    ),
    Endpoint(
        "POST traversal:Node/transition-selected -> transition_selected",
        "POST",
        "/docs/{segment}/@@transition-selected",
        segment="team",
        body="form",
        fields={"item": "people", "transition": "submit", "comment": ""},
    ),
    Endpoint(
        "GET,HEAD traversal:Node/history -> history_page",
        "GET",
        "/docs/team/{segment}/@@history",
        segment="people",
        query=PAGE,
    ),
    Endpoint(
        "GET,HEAD traversal:Node/history -> revision_view",
        "GET",
        "/docs/team/people/@@history/{segment}",
        segment="1",
    ),
    Endpoint(
        "POST traversal:Node/history -> restore_revision",
        "POST",
        "/docs/team/people/@@history/{segment}/restore",
        segment="1",
        body="form",
        fields={"comment": "Back.", "version": "2"},
    ),
    Endpoint(
        "GET,HEAD traversal:Node/diff -> diff_page",
        "GET",
        "/docs/team/{segment}/@@diff?from=1&to=2",
        segment="people",
        query=("from", "to"),
    ),
    Endpoint(
        "GET,HEAD traversal:File/history -> download",
        "GET",
        "/docs/notes.txt/@@history/{segment}/download",
        segment="1",
    ),
    Endpoint(
        "GET traversal:File/replace -> replace_form",
        "GET",
        "/docs/{segment}/@@replace",
        segment="notes.txt",
    ),
    Endpoint(
        "POST traversal:File/replace -> replace_file",
        "POST",
        "/docs/{segment}/@@replace",
        segment="notes.txt",
        body="upload",
        # Version 3: uploaded, submitted, published (the world's notes.txt).
        fields={"comment": "New figures.", "version": "3"},
    ),
    # -- the change feed; webhooks: {webhook} is an endpoint, {message} one of its messages
    Endpoint(
        "GET api.changes:*/ -> changes",
        "GET",
        "/api/v1/changes",
        # Not "wait": a valid one holds the request up to 30 s (tests/functional/changes).
        query=("since", "limit", "path", "type"),
    ),
    Endpoint("!GET,HEAD api.changes:*/ -> changes_method_not_allowed", "POST", "/api/v1/changes"),
    Endpoint("GET api.webhooks:*/ -> list_webhooks", "GET", "/api/v1/webhooks"),
    Endpoint(
        "POST api.webhooks:*/ -> create_webhook",
        "POST",
        "/api/v1/webhooks",
        body="json",
        fields={
            "url": "https://example.com/hook",
            "description": "Partner",
            "event_types": ["content.created"],
            "subtree": "/docs",
            "active": True,
        },
    ),
    Endpoint(
        "!GET,HEAD,POST api.webhooks:*/ -> webhooks_method_not_allowed", "PUT", "/api/v1/webhooks"
    ),
    Endpoint(
        "GET api.webhook:*/ -> show_webhook",
        "GET",
        "/api/v1/webhooks/{segment}",
        segment="{webhook}",
    ),
    Endpoint(
        "PATCH api.webhook:*/ -> change_webhook",
        "PATCH",
        "/api/v1/webhooks/{segment}",
        segment="{webhook}",
        body="json",
        fields={"description": "Ours", "subtree": None, "active": False},
    ),
    Endpoint(
        "DELETE api.webhook:*/ -> delete_webhook",
        "DELETE",
        "/api/v1/webhooks/{segment}",
        segment="{webhook}",
    ),
    Endpoint(
        "!DELETE,GET,HEAD,PATCH api.webhook:*/ -> webhooks_method_not_allowed",
        "PUT",
        "/api/v1/webhooks/{segment}",
        segment="{webhook}",
    ),
    Endpoint(
        "POST api.webhook.rotate:*/ -> rotate_secret",
        "POST",
        "/api/v1/webhooks/{segment}/@rotate-secret",
        segment="{webhook}",
    ),
    Endpoint(
        "!POST api.webhook.rotate:*/ -> webhooks_method_not_allowed",
        "GET",
        "/api/v1/webhooks/{segment}/@rotate-secret",
        segment="{webhook}",
    ),
    Endpoint(
        "GET api.webhook.messages:*/ -> list_messages",
        "GET",
        "/api/v1/webhooks/{segment}/messages",
        segment="{webhook}",
        query=("before", "limit"),
    ),
    Endpoint(
        "!GET,HEAD api.webhook.messages:*/ -> webhooks_method_not_allowed",
        "POST",
        "/api/v1/webhooks/{segment}/messages",
        segment="{webhook}",
    ),
    Endpoint(
        "POST api.webhook.redeliver:*/ -> redeliver",
        "POST",
        "/api/v1/webhooks/{webhook}/messages/{segment}/@redeliver",
        segment="{message}",
    ),
    Endpoint(
        "!POST api.webhook.redeliver:*/ -> webhooks_method_not_allowed",
        "GET",
        "/api/v1/webhooks/{webhook}/messages/{segment}/@redeliver",
        segment="{message}",
    ),
    # -- the audit log
    Endpoint(
        "GET,HEAD api.audit:*/ -> list_entries",
        "GET",
        "/api/v1/audit",
        query=("actor", "action", "path", "since", "until", "node", "limit", "after"),
    ),
    Endpoint(
        "GET api.audit.export:*/ -> export_entries",
        "GET",
        "/api/v1/audit/export",
        query=("format", "actor", "action", "path", "since", "until", "node"),
    ),
    Endpoint(
        "GET,HEAD api.content:Node/@audit -> node_entries",
        "GET",
        CONTENT + "/docs/team/{segment}/@audit",
        segment="people",
        query=("actor", "action", "since", "until", "limit", "after"),
    ),
    Endpoint("!GET,HEAD api.audit:*/ -> audit_method_not_allowed", "DELETE", "/api/v1/audit"),
    Endpoint(
        "!GET,HEAD api.audit.export:*/ -> audit_method_not_allowed",
        "POST",
        "/api/v1/audit/export",
    ),
    Endpoint(
        "!GET,HEAD api.content:Node/@audit -> audit_method_not_allowed",
        "PUT",
        CONTENT + "/docs/team/{segment}/@audit",
        segment="people",
    ),
    Endpoint(
        "GET admin.audit:*/ -> audit_page",
        "GET",
        "/admin/audit",
        query=("actor", "action", "path", "since", "until", "node", "limit", "after"),
    ),
    Endpoint(
        "GET admin.audit.export:*/ -> export",
        "GET",
        "/admin/audit/export",
        query=("format", "actor", "action", "path", "since", "until", "node"),
    ),
    # -- search: the site, a folder's subtree (API and page)
    Endpoint(
        "GET,HEAD api.search:*/ -> search_site",
        "GET",
        "/api/v1/search",
        query=SEARCH,
    ),
    Endpoint(
        "!GET,HEAD api.search:*/ -> search_method_not_allowed",
        "POST",
        "/api/v1/search",
    ),
    Endpoint(
        "GET,HEAD api.content:Node/@search -> search_folder",
        "GET",
        CONTENT + "/docs/{segment}/@search",
        segment="team",
        query=SEARCH,
    ),
    Endpoint(
        "!GET,HEAD api.content:Node/@search -> folder_search_method_not_allowed",
        "DELETE",
        CONTENT + "/docs/{segment}/@search",
        segment="team",
    ),
    Endpoint(
        "GET,HEAD traversal:Node/@search -> search_page",
        "GET",
        "/docs/{segment}/@search",
        segment="team",
        query=SEARCH,
    ),
    # -- the trash: {entry} is /docs/old, deleted; legal holds
    Endpoint(
        "GET api.trash:*/ -> list_trash",
        "GET",
        "/api/v1/trash",
        query=("type", "deleted_by", "since", "until", "path", "limit", "after"),
    ),
    Endpoint("DELETE api.trash:*/ -> empty_trash", "DELETE", "/api/v1/trash"),
    Endpoint("!DELETE,GET,HEAD api.trash:*/ -> trash_method_not_allowed", "POST", "/api/v1/trash"),
    Endpoint(
        "GET api.trash.entry:*/ -> show_entry",
        "GET",
        "/api/v1/trash/{segment}",
        segment="{entry}",
    ),
    Endpoint(
        "DELETE api.trash.entry:*/ -> purge_entry",
        "DELETE",
        "/api/v1/trash/{segment}",
        segment="{entry}",
    ),
    Endpoint(
        "!DELETE,GET,HEAD api.trash.entry:*/ -> trash_method_not_allowed",
        "PUT",
        "/api/v1/trash/{segment}",
        segment="{entry}",
    ),
    Endpoint(
        "POST api.trash.restore:*/ -> restore_entry",
        "POST",
        "/api/v1/trash/{segment}/@restore",
        segment="{entry}",
        body="json",
        fields={"target": "/target", "name": "restored"},
    ),
    Endpoint(
        "!POST api.trash.restore:*/ -> trash_method_not_allowed",
        "GET",
        "/api/v1/trash/{segment}/@restore",
        segment="{entry}",
    ),
    Endpoint(
        "PUT api.trash.hold:*/ -> entry_hold",
        "PUT",
        "/api/v1/trash/{segment}/@legal-hold",
        segment="{entry}",
    ),
    Endpoint(
        "DELETE api.trash.hold:*/ -> entry_hold",
        "DELETE",
        "/api/v1/trash/{segment}/@legal-hold",
        segment="{entry}",
    ),
    Endpoint(
        "!DELETE,PUT api.trash.hold:*/ -> trash_method_not_allowed",
        "GET",
        "/api/v1/trash/{segment}/@legal-hold",
        segment="{entry}",
    ),
    Endpoint(
        "GET,HEAD api.content:Node/@legal-hold -> show_node_hold",
        "GET",
        CONTENT + "/docs/{segment}/@legal-hold",
        segment="guide",
    ),
    Endpoint(
        "DELETE,PUT api.content:Node/@legal-hold -> change_node_hold",
        "PUT",
        CONTENT + "/docs/{segment}/@legal-hold",
        segment="guide",
    ),
    Endpoint(
        "!DELETE,GET,HEAD,PUT api.content:Node/@legal-hold -> node_hold_method_not_allowed",
        "POST",
        CONTENT + "/docs/{segment}/@legal-hold",
        segment="guide",
    ),
    Endpoint(
        "GET trash:*/ -> trash_page",
        "GET",
        "/trash",
        query=("type", "deleted_by", "since", "until", "path", "limit", "after"),
    ),
    Endpoint("GET trash.empty:*/ -> empty_confirmation", "GET", "/trash/empty"),
    Endpoint("POST trash.empty:*/ -> empty", "POST", "/trash/empty", body="form"),
    Endpoint("GET trash.entry:*/ -> entry_page", "GET", "/trash/{segment}", segment="{entry}"),
    Endpoint(
        "POST trash.restore:*/ -> restore",
        "POST",
        "/trash/{segment}/restore",
        segment="{entry}",
        body="form",
        fields={"target": "/target", "name": "restored"},
    ),
    Endpoint(
        "GET trash.purge:*/ -> purge_confirmation",
        "GET",
        "/trash/{segment}/purge",
        segment="{entry}",
    ),
    Endpoint(
        "POST trash.purge:*/ -> purge",
        "POST",
        "/trash/{segment}/purge",
        segment="{entry}",
        body="form",
    ),
    Endpoint(
        "POST trash.hold:*/ -> entry_hold",
        "POST",
        "/trash/{segment}/legal-hold",
        segment="{entry}",
        body="form",
        fields={"legal_hold": "on"},
    ),
    Endpoint(
        "POST traversal:Node/legal-hold -> node_hold",
        "POST",
        "/docs/{segment}/@@legal-hold",
        segment="guide",
        body="form",
        fields={"legal_hold": "on"},
    ),
    # -- health
    Endpoint("ANY healthz:*/ -> healthz", "GET", "/healthz"),
    Endpoint("ANY readyz:*/ -> readyz", "GET", "/readyz"),
    Endpoint("GET,HEAD api.version:*/ -> version_view", "GET", "/api/v1/version"),
    Endpoint("!GET,HEAD api.version:*/ -> version_method_not_allowed", "POST", "/api/v1/version"),
    # -- the API's OpenAPI document and its reference page
    Endpoint("GET,HEAD api.openapi:*/ -> openapi_json", "GET", "/api/v1/openapi.json"),
    Endpoint("GET,HEAD api.docs:*/ -> api_docs", "GET", "/api/v1/docs"),
    Endpoint(
        "!GET,HEAD api.openapi:*/ -> reference_method_not_allowed", "PUT", "/api/v1/openapi.json"
    ),
    Endpoint("!GET,HEAD api.docs:*/ -> reference_method_not_allowed", "POST", "/api/v1/docs"),
    Endpoint(
        "!POST api.content:Node/@move -> action_method_not_allowed",
        "PUT",
        CONTENT + "/docs/{segment}/@move",
        segment="guide",
    ),
    Endpoint(
        "!POST api.content:Node/@copy -> action_method_not_allowed",
        "GET",
        CONTENT + "/docs/{segment}/@copy",
        segment="guide",
    ),
    Endpoint(
        "!POST api.content:Node/@order -> action_method_not_allowed",
        "DELETE",
        CONTENT + "/{segment}/@order",
        segment="docs",
    ),
    Endpoint(
        "!GET,HEAD,PUT api.content:File/@download -> download_method_not_allowed",
        "POST",
        CONTENT + "/docs/{segment}/@download",
        segment="notes.txt",
    ),
]
BY_VIEW = {endpoint.view: endpoint for endpoint in ENDPOINTS}
WITH_SEGMENT = [e for e in ENDPOINTS if e.segment is not None]
WITH_BODY = [e for e in ENDPOINTS if e.body is not None]


def test_every_view_has_a_property_test(charter_app):
    registered = registered_views(charter_app.registry)

    assert sorted(registered - set(BY_VIEW)) == [], "views without an entry in ENDPOINTS"
    assert sorted(set(BY_VIEW) - registered) == [], "entries in ENDPOINTS for no view"


# -- sending ------------------------------------------------------------------------

BOUNDARY = "charter-property-boundary"
UPLOADED = b"Figures of the quarter.\n"


def formatted(value: Any, ids: dict[str, Any]) -> Any:
    """``value`` with the world's ids put in its text."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [formatted(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: formatted(item, ids) for key, item in value.items()}
    return value


def multipart(parts: list[tuple[Any, Any, Any]]) -> tuple[bytes, str]:
    """A multipart/form-data body of ``(name, filename or None, value)`` parts (text or raw
    bytes anywhere, as a hostile client sends them), and its Content-Type."""

    def raw(value: Any) -> bytes:
        return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")

    body = b""
    for name, filename, value in parts:
        disposition = b'Content-Disposition: form-data; name="' + raw(name) + b'"'
        if filename is not None:
            disposition += b'; filename="' + raw(filename) + b'"'
            disposition += b"\r\nContent-Type: application/octet-stream"
        body += b"--" + BOUNDARY.encode() + b"\r\n" + disposition + b"\r\n\r\n"
        body += raw(value) + b"\r\n"
    body += b"--" + BOUNDARY.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def encoded(endpoint: Endpoint, caller, fields: Any) -> tuple[bytes | None, str | None]:
    """The body and Content-Type of a request to ``endpoint`` sending ``fields`` (raw bytes
    are sent as they are)."""
    if endpoint.body is None:
        return None, None
    if endpoint.body == "json":
        body = fields if isinstance(fields, bytes) else hostile.encode_json(fields)
        return body, "application/json"
    if endpoint.body == "raw":
        return (fields if isinstance(fields, bytes) else UPLOADED), "text/plain"
    with_csrf = dict(fields) if isinstance(fields, dict) else {}
    if caller.csrf and "csrf_token" not in with_csrf:
        with_csrf["csrf_token"] = caller.csrf
    if endpoint.body == "upload":
        filename = with_csrf.pop("__filename__", "report.txt")
        parts = [(name, None, value) for name, value in with_csrf.items()]
        return multipart([*parts, ("file", filename, UPLOADED)])
    if isinstance(fields, bytes):
        return fields, "application/x-www-form-urlencoded"
    return hostile.encode_form(with_csrf), "application/x-www-form-urlencoded"


def send(world, endpoint, caller, *, by_cookie=False, url=None, headers=None, fields=None):
    """Send a request to ``endpoint`` as ``caller`` (API requests by token, or by session
    cookie and CSRF header): hostile ``url``, ``headers`` or body ``fields`` in place of the
    ordinary ones. Checks the answer and returns it."""
    caller = world.caller(caller)
    body, content_type = encoded(
        endpoint, caller, formatted(endpoint.fields, world.ids) if fields is None else fields
    )
    sent = {key: formatted(value, world.ids) for key, value in endpoint.headers.items()}
    if endpoint.accept:
        sent["Accept"] = endpoint.accept
    sent.update(headers or {})
    token = caller.token
    caller.token = {} if by_cookie else token
    try:
        response = world.send(
            caller,
            endpoint.method,
            url or endpoint.url(world.ids),
            api=endpoint.api,
            headers=sent,
            body=body,
            content_type=content_type,
        )
    finally:
        caller.token = token
    world.check(
        response,
        api=endpoint.api,
        ignore_login_attempts=endpoint.view.endswith("login_submit"),
    )
    return response


def who(data, endpoint) -> dict[str, Any]:
    """A caller drawn from ``data``; API requests come half the time by session cookie."""
    return {
        "caller": data.draw(st.sampled_from(CALLERS), label="caller"),
        "by_cookie": endpoint.api and data.draw(st.booleans(), label="by session cookie"),
    }


def by_view(endpoints: list[Endpoint]) -> Any:
    """Parametrize a test over ``endpoints``, named by their views."""
    return pytest.mark.parametrize("endpoint", endpoints, ids=[e.view for e in endpoints])


# -- the properties -------------------------------------------------------------------


@by_view(ENDPOINTS)
@given(data=st.data())
def test_hostile_query_strings_are_refused_or_ignored(counted, endpoint, data):
    query = data.draw(hostile.query_strings(endpoint.query), label="query")
    url = endpoint.url(counted.ids)
    with counted.example():
        send(
            counted, endpoint, **who(data, endpoint), url=url + ("&" if "?" in url else "?") + query
        )


@by_view(ENDPOINTS)
@given(data=st.data())
def test_hostile_headers_are_refused_or_ignored(counted, endpoint, data):
    headers = data.draw(hostile.request_headers(), label="headers")
    with counted.example():
        send(counted, endpoint, **who(data, endpoint), headers=headers)


@by_view(WITH_SEGMENT)
@given(data=st.data())
def test_hostile_path_segments_are_refused_or_not_found(counted, endpoint, data):
    segment = data.draw(hostile.path_segments(), label="segment")
    with counted.example():
        send(counted, endpoint, **who(data, endpoint), url=endpoint.url(counted.ids, segment))


def hostile_fields(endpoint: Endpoint, ids: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Bodies like an ordinary one of ``endpoint`` with one part made hostile."""
    acceptable = formatted(endpoint.fields, ids)
    if endpoint.body == "json":
        return hostile.json_bodies(acceptable)
    if endpoint.body == "raw":
        return st.one_of(hostile.invalid_utf8(), st.binary(max_size=64))
    fields = hostile.form_fields_like(acceptable)
    if endpoint.body == "upload":
        filenames = st.one_of(hostile.hostile_text(max_size=8), hostile.invalid_utf8())
        return st.tuples(fields, filenames).map(lambda fn: {**fn[0], "__filename__": fn[1]})
    return st.one_of(fields, fields, hostile.invalid_utf8())


@by_view(WITH_BODY)
@given(data=st.data())
def test_hostile_bodies_are_refused_naming_the_problem(counted, endpoint, data):
    fields = data.draw(hostile_fields(endpoint, counted.ids), label="body")
    with counted.example():
        send(counted, endpoint, **who(data, endpoint), fields=fields)


# -- regressions: each found by the properties above --------------------------------

FORMS = [e for e in WITH_BODY if e.body in ("form", "upload")]


@by_view(FORMS)
@given(content_type=hostile.content_types())
@example(content_type="multipart/form-data")
@example(content_type="multipart/form-data; boundary=")
@example(content_type=";CHARSET=0")  # no media type: WebOb still reads it as a form
def test_a_form_under_a_hostile_content_type_is_refused(counted, endpoint, content_type):
    with counted.example():
        send(counted, endpoint, "admin", headers={"Content-Type": content_type})


DOWNLOADS = ["/api/v1/content/docs/notes.txt/@download", "/docs/notes.txt/@@download"]
NOTES_SIZE = len(b"Minutes of the meeting.\n")


@pytest.mark.parametrize("path", DOWNLOADS)
@given(
    byte_range=st.one_of(
        st.tuples(st.integers(0, 50), st.integers(0, 50)).map(lambda r: f"bytes={r[0]}-{r[1]}"),
        st.integers(0, 10**20).map(lambda n: f"bytes={n}-"),
        st.integers(0, 10**20).map(lambda n: f"bytes=-{n}"),
    )
)
@example(byte_range="bytes=-99999999999999999999")
@example(byte_range="bytes=5000-")
def test_a_range_the_file_does_not_have_is_a_416_error(counted, path, byte_range):
    with counted.example():
        response = counted.send(
            counted.caller("reader"),
            "GET",
            path,
            api=path.startswith("/api/"),
            headers={"Range": byte_range},
        )
        counted.check(response, api=path.startswith("/api/"))

    assert response.status_int in (200, 206, 416)
    if response.status_int == 416:
        assert response.headers["Content-Range"] == f"bytes */{NOTES_SIZE}"


@pytest.mark.parametrize("path", ["/{}", "/docs/{}", "/docs/{}/@@edit", "/api/v1/users/{}"])
@given(segment=hostile.storable_text(max_size=5).filter(str.strip).map(hostile.percent_encoded))
@example(segment="%E2%80%8B")  # U+200B
@example(segment="%E2%82%AC")  # €
@example(segment="%C3%A9")  # é, inside Latin-1
def test_a_path_of_any_characters_is_read_as_utf8(counted, path, segment):
    with counted.example():
        response = counted.send(
            counted.caller("reader"), "GET", path.format(segment), api=path.startswith("/api/")
        )
        counted.check(response, api=path.startswith("/api/"))

    assert response.status_int != 400, "valid UTF-8 is no bad request"


@given(key=hostile.storable_text(max_size=6).filter(lambda key: key not in NEW_DOCUMENT))
@example(key="a/b")
@example(key="~1")
def test_an_unknown_key_is_named_by_its_json_pointer(counted, key):
    endpoint = BY_VIEW["POST api.content:Node/ -> create_node"]
    with counted.example():
        response = send(counted, endpoint, "editor", fields={**NEW_DOCUMENT, key: 1})

    escaped = key.replace("~", "~0").replace("/", "~1")
    assert response.status_int == 400
    if key:  # the empty key's pointer would be "/", which the field names cannot say
        assert f"/{escaped}" in [e["pointer"] for e in response.json["errors"]], response.json


@given(index=hostile.number_texts())
@example(index="\u0663")  # ARABIC-INDIC DIGIT THREE, which int() reads as 3
@example(index="\uff11")  # FULLWIDTH DIGIT ONE
@example(index="01")  # read as row 1, whose fields are entry-01-...
def test_a_sharing_form_row_numbered_in_any_digits_is_read_or_ignored(counted, index):
    endpoint = BY_VIEW["POST traversal:Node/sharing -> update_sharing"]
    fields = {f"entry-{index}-principal": "group:board", f"entry-{index}-roles": "Reader"}
    with counted.example():
        send(counted, endpoint, "admin", fields=fields)
