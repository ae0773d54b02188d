"""The database triggers that make the audit log append-only, and the one way past them.

Every database refuses UPDATE and DELETE on ``audit_log`` (and PostgreSQL
TRUNCATE too). Only retention (``charter-audit CONFIG prune``) removes rows,
and only rows older than the cut-off it declares in its own transaction:

- PostgreSQL: the trigger lets a DELETE through when the transaction has set
  ``charter.audit_prune_before`` (``SET LOCAL``, gone at commit) and the row
  is older than it; UPDATE is always refused.
- MariaDB/MySQL: the same with the session variable ``@charter_audit_prune_before``,
  which prune sets on a connection of its own and clears before closing it.
- SQLite: a trigger cannot read any per-connection state, so prune replaces
  the DELETE trigger by one that refuses only entries from the cut-off on,
  deletes, and puts the original back, in one transaction: SQLite's schema
  changes are transactional and its writers serialised, so no other
  connection ever sees the table without its full trigger.

The revision that creates the triggers (alembic 0007) spells out the same SQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

REFUSAL = "audit_log is append-only"
POSTGRESQL_SETTING = "charter.audit_prune_before"
MYSQL_VARIABLE = "@charter_audit_prune_before"

SQLITE_DELETE_TRIGGER = (
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log {condition}"
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END"
)


def is_refusal(error: BaseException) -> bool:
    """Whether a database error is the audit log's trigger refusing a change."""
    return REFUSAL in str(error)


def allow_prune(connection: Connection, before: dt.datetime) -> None:
    """Let this transaction (this connection, on MySQL) delete entries older than ``before``."""
    # As every database stores UTCDateTime: naive UTC, microseconds (SQLite compares the text).
    moment = before.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(
            text("SELECT set_config(:name, :value, true)"),
            {"name": POSTGRESQL_SETTING, "value": moment},
        )
    elif dialect in {"mysql", "mariadb"}:
        connection.execute(text(f"SET {MYSQL_VARIABLE} = :value"), {"value": moment})
    elif dialect == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        # A formatted datetime: digits, dashes, colons, a space and a dot.
        condition = f"WHEN OLD.at >= '{moment}' "
        connection.exec_driver_sql(SQLITE_DELETE_TRIGGER.format(condition=condition))
    else:  # pragma: no cover - Charter runs on these three only
        raise NotImplementedError(dialect)


def end_prune(connection: Connection) -> None:
    """Close the way :func:`allow_prune` opened (before this transaction commits)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text("SELECT set_config(:name, '', true)"), {"name": POSTGRESQL_SETTING})
    elif dialect in {"mysql", "mariadb"}:
        connection.exec_driver_sql(f"SET {MYSQL_VARIABLE} = NULL")
    elif dialect == "sqlite":
        connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        connection.exec_driver_sql(SQLITE_DELETE_TRIGGER.format(condition=""))
