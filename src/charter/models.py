"""Every core model module, imported so ``Base.metadata`` knows every table.

Alembic's ``env.py`` and the schema-drift test import this module.
"""

from charter.accounts import models as accounts
from charter.audit import models as audit
from charter.changes import models as changes
from charter.content import models as content
from charter.db import generation, replica
from charter.history import models as history
from charter.search import models as search
from charter.security import models as security
from charter.sessions import models as sessions
from charter.trash import models as trash
from charter.tree import models as tree
from charter.workflow import models as workflow

__all__ = [
    "accounts",
    "audit",
    "changes",
    "content",
    "generation",
    "history",
    "replica",
    "search",
    "security",
    "sessions",
    "trash",
    "tree",
    "workflow",
]
