"""Publication workflows: declared through ``config.add_workflow``, taken through one service.

``config.add_workflow(workflow)`` registers a :class:`~charter.workflow.definitions.Workflow`;
``workflow=`` on ``config.add_content_type`` makes a type follow it. When
the configuration is committed the workflows compile into the security
policy's permission table and the listings' visibility table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyramid.config import Configurator
from pyramid.request import Request

from charter.security.roles import STATE_PERMISSIONS_KEY
from charter.tree.visibility import VISIBILITY_RULES_KEY
from charter.workflow.definitions import (
    SIMPLE_PUBLICATION,
    State,
    Transition,
    Workflow,
    WorkflowRegistry,
)
from charter.workflow.events import StateChanged

if TYPE_CHECKING:
    from charter.workflow.services import WorkflowService

# The content registry imports the definitions: what needs it is imported where it is used.
__all__ = [
    "SIMPLE_PUBLICATION",
    "State",
    "StateChanged",
    "Transition",
    "Workflow",
    "WorkflowRegistry",
    "add_workflow",
    "includeme",
]

# After every type and workflow is registered (their actions have the default order 0).
COMPILE_ORDER = 10


def add_workflow(config: Configurator, workflow: Workflow) -> None:
    """Directive ``config.add_workflow``: register ``workflow`` for types to follow.

    A definition that contradicts itself (a transition to a state it does
    not have, an unknown role or permission) stops start-up with one line.
    """
    from charter.content.registry import types_of

    workflow.check()

    def register() -> None:
        types_of(config.registry).workflows.add(workflow)

    config.action(("charter.workflow", workflow.name), register)


def compile_workflows(config: Configurator) -> None:
    """Compile every registered workflow into the security policy's and the listings'
    tables (the last action of the configuration)."""
    from charter.content.registry import types_of

    permissions, visibility = types_of(config.registry).workflows.compile()
    config.registry[STATE_PERMISSIONS_KEY] = permissions
    config.registry[VISIBILITY_RULES_KEY] = visibility


def workflow_service(request: Request) -> WorkflowService:
    """The workflow service acting for this request's caller, with its permissions."""
    from charter.content.registry import types_of
    from charter.security.permits import caller_permits
    from charter.workflow.services import WorkflowService

    return WorkflowService(
        request.dbsession,
        types_of(request.registry),
        actor=request.actor,
        permits=caller_permits(request),
        notify=request.registry.notify,
        audit=request.audit,
    )


def includeme(config: Configurator) -> None:
    """The ``add_workflow`` directive, the default workflow, and ``request.workflow``."""
    config.add_directive("add_workflow", add_workflow)
    config.add_workflow(SIMPLE_PUBLICATION)
    config.action(
        "charter.workflow.compile", lambda: compile_workflows(config), order=COMPILE_ORDER
    )
    config.add_request_method(workflow_service, "workflow", reify=True)
