"""The little sample site ``charter-init`` creates on a first run."""

from __future__ import annotations

from charter.accounts.models import User
from charter.audit.service import Actor
from charter.content.services import ContentService
from charter.tree.models import Node

WELCOME = """\
Charter keeps an organisation's spaces, folders, documents and files in one
tree. This page is a **document**: its text is written in Markdown.

- Browse the folders in the list on the home page.
- Every page is also available as JSON: add `Accept: application/json`, or use
  the API under `/api/v1/content/`.
"""

HANDBOOK = """\
## First week

1. Meet your team.
2. Read the [policies](/policies).
3. Ask questions; nobody minds.
"""

TRAVEL = """\
| Distance | Travel by |
| -------- | --------- |
| under 500 km | train |
| over 500 km | ask your manager |
"""


ROADMAP = """\
A first draft: only its author (and those who edit or review here) can see
it until it is submitted and published.

- Q1: move the team sites into Charter.
- Q2: ask every department for its review workflow.
"""


def add_sample_content(content: ContentService, root: Node, by: User | None) -> list[Node]:
    """Add a few folders and documents under ``root``; returns what was added.

    They show the publication workflow: most are published, the travel
    policy waits for review, and the roadmap is a private draft.
    """
    welcome = content.add_document(
        root, "welcome", "Welcome to Charter", WELCOME, "Start here.", by=by
    )
    projects = content.add_folder(root, "projects", "Projects", "Work in progress.", by=by)
    onboarding = content.add_folder(
        projects, "onboarding", "Onboarding", "Helping new colleagues settle in.", by=by
    )
    handbook = content.add_document(
        onboarding, "handbook", "Employee handbook", HANDBOOK, "The first week.", by=by
    )
    policies = content.add_folder(root, "policies", "Policies", "How we work.", by=by)
    travel = content.add_document(
        policies, "travel", "Travel policy", TRAVEL, "Getting there.", by=by
    )
    roadmap = content.add_document(
        projects, "roadmap", "Roadmap (draft)", ROADMAP, "Where we are going.", by=by
    )
    # Imported here: the workflow service builds on this module's package.
    from charter.workflow.services import WorkflowService

    workflow = WorkflowService(
        content.dbsession,
        content.types,
        actor=content.actor if by is None else Actor(by.id, by.login),
        notify=content.notify,
        audit=content.audit,
    )
    for node in (welcome, projects, onboarding, handbook, policies):
        workflow.advance(node, "published", comment="Published with the sample site.")
    workflow.transition(travel, "submit", comment="Please check the distances.")
    return [welcome, projects, onboarding, handbook, policies, travel, roadmap]
