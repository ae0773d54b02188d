"""The workflow in the web UI: the state badge, the "State" menu's transitions, and taking
one transition on the items selected in Contents.

Every form posts to a view here, which calls ``request.workflow`` like the
API; a refusal is a message on the page it came from and changes nothing.
"""

from __future__ import annotations

from markupsafe import Markup
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config

from charter.errors import ChangedMeanwhile, PreconditionFailed, ValidationFailed
from charter.input.numbers import whole_number
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.tree.paths import child_path
from charter.web.editing import view_url
from charter.web.helpers import node_url
from charter.web.i18n import _, flash, plural, translate
from charter.workflow.definitions import Transition
from charter.workflow.services import TransitionRefused, WorkflowInfo

# Bootstrap colours of the badge of a state, by the state's name; others are grey.
BADGE_CLASSES = {
    "private": "text-bg-secondary",
    "pending": "text-bg-warning",
    "published": "text-bg-success",
}


def workflow_info(request: Request, node: Node) -> WorkflowInfo | None:
    """``node``'s workflow, state and the transitions the caller may take (templates)."""
    return request.workflow.info(node)


def state_badge(request: Request, node: Node) -> Markup:
    """The badge of ``node``'s workflow state (nothing when it follows no workflow)."""
    title = request.workflow.state_title(node)
    if title is None:
        return Markup("")
    css = BADGE_CLASSES.get(node.workflow_state or "", "text-bg-light border")
    shown = request.localizer.translate(_(title))
    return Markup(
        '<span class="badge {css} state-badge" data-state="{state}" title="{label}">{title}</span>'
    ).format(
        css=css,
        state=node.workflow_state,
        title=shown,
        label=request.localizer.translate(_("State: ${state}", mapping={"state": shown})),
    )


def _nothing_changed(reason: str) -> str:
    """The error a refused transition shows, with the service's reason."""
    return _("Nothing was changed: ${reason}.", mapping={"reason": reason})


def selection_transitions(request: Request, children: list[Node]) -> list[Transition]:
    """The transitions the caller may take on at least one of ``children``, each once."""
    found: dict[str, Transition] = {}
    for child in children:
        info = request.workflow.info(child)
        if info is not None:
            for transition in info.allowed:
                found.setdefault(transition.name, transition)
    return list(found.values())


def add_template_globals(config: Configurator) -> None:
    """Make the badge and the menus' helpers available to every template."""

    def register() -> None:
        environment = config.get_jinja2_environment(".jinja2")
        environment.globals.update(
            state_badge=state_badge,
            workflow_info=workflow_info,
            selection_transitions=selection_transitions,
        )

    # After pyramid_jinja2 made the environment (as charter.web's own globals).
    config.action(None, register, order=999)


@view_config(context=Node, name="transition", request_method="POST", permission=Permission.VIEW)
def take_transition(context: Node, request: Request) -> HTTPSeeOther:
    """Take the transition the State menu's form names; back to the node with a message, or
    to its folder when the caller can no longer see it."""
    name = request.POST.get("transition", "")
    comment = request.POST.get("comment", "")
    version = whole_number(request.POST.get("version", ""))
    here = node_url(request, context)
    try:
        result = request.workflow.transition(context, name, version, comment)
    except TransitionRefused as refusal:
        flash(request, _nothing_changed(refusal.message), "error")
        return HTTPSeeOther(here)
    except (PreconditionFailed, ChangedMeanwhile):
        message = _(
            "Nothing was changed: “${title}” was changed meanwhile by someone else. "
            "Here it is as it is now; try again if it still needs it.",
            mapping={"title": context.title},
        )
        flash(request, message, "error")
        return HTTPSeeOther(here)
    except ValidationFailed as failure:
        flash(request, _nothing_changed(failure.messages[0][1]), "error")
        return HTTPSeeOther(here)
    state = request.workflow.state_title(context) or result.step.to_state
    names = {"title": context.title, "state": translate(request, _(state))}
    if result.visible:
        flash(request, _("“${title}” is now ${state}.", mapping=names))
        return HTTPSeeOther(here)
    parent = context.__parent__
    message = _(
        "“${title}” is now ${state}; you can no longer see it, so here is its folder.",
        mapping=names,
    )
    flash(request, message)
    return HTTPSeeOther(
        node_url(request, parent) if parent is not None else request.route_url("login")
    )


@view_config(
    context=Node, name="transition-selected", request_method="POST", permission=Permission.VIEW
)
def transition_selected(context: Node, request: Request) -> HTTPSeeOther:
    """Take one transition on the items selected in Contents; say how many were done and
    why the others were not."""
    names = list(dict.fromkeys(request.POST.getall("item")))
    contents = view_url(request, context, "contents")
    if not names:
        flash(request, _("Select the items to change first."), "error")
        return HTTPSeeOther(contents)
    transition = request.POST.get("transition", "")
    try:
        outcomes = request.workflow.bulk(
            [child_path(context.path, name) for name in names],
            transition,
            request.POST.get("comment", ""),
        )
    except ValidationFailed as failure:
        flash(request, _nothing_changed(failure.messages[0][1]), "error")
        return HTTPSeeOther(contents)
    done = [outcome for outcome in outcomes if outcome.done]
    refused = [outcome for outcome in outcomes if not outcome.done]
    if done:
        titles = ", ".join(f"“{outcome.node.title}”" for outcome in done[:10])
        if len(done) > 10:
            titles = translate(request, _("${titles} and more", mapping={"titles": titles}))
        message = plural(
            request,
            "${count} item changed: ${titles}.",
            "${count} items changed: ${titles}.",
            len(done),
            titles=titles,
        )
        flash(request, message)
    for outcome in refused[:10]:
        name = outcome.node.title if outcome.node is not None else outcome.item
        message = _(
            "“${name}” was not changed: ${reason}.",
            mapping={"name": name, "reason": outcome.message},
        )
        flash(request, message, "error")
    if len(refused) > 10:
        message = _("${count} more items were not changed.", mapping={"count": len(refused) - 10})
        flash(request, message, "error")
    return HTTPSeeOther(contents)
