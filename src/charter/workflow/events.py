"""Events the workflow fires; subscribe with ``config.add_subscriber(callback, StateChanged)``."""

from __future__ import annotations

from dataclasses import dataclass

from charter.audit.service import Actor
from charter.tree.models import Node
from charter.workflow.models import WorkflowStep


@dataclass(frozen=True)
class StateChanged:
    """``node`` went from ``step.from_state`` to ``step.to_state`` by ``step.transition``
    (sent in the request's transaction, after the change and its history row are flushed)."""

    node: Node
    step: WorkflowStep
    actor: Actor
