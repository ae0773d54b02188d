"""Full-text search: the search index and each database's engine structure over it.

``search_index`` holds one row per node: its normalised terms and readable
text (charter.search.models). Beside it, per database:

* SQLite: the FTS5 table ``search_fts`` over ``search_index`` (external
  content), kept in step by three triggers;
* PostgreSQL: the stored generated column ``vector`` under a GIN index;
* MariaDB/MySQL: the InnoDB FULLTEXT index ``ft_search_index_terms``.

Existing nodes are not indexed here: run ``charter-search CONFIG reindex``
(the site stays up meanwhile).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MYSQL_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
LONG_TEXT = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")

SQLITE_STATEMENTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "terms, content='search_index', content_rowid='node_id', tokenize='unicode61')",
    "CREATE TRIGGER search_index_fts_insert AFTER INSERT ON search_index BEGIN "
    "INSERT INTO search_fts (rowid, terms) VALUES (new.node_id, new.terms); END",
    "CREATE TRIGGER search_index_fts_delete AFTER DELETE ON search_index BEGIN "
    "INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.node_id, old.terms); "
    "END",
    "CREATE TRIGGER search_index_fts_update AFTER UPDATE OF terms ON search_index BEGIN "
    "INSERT INTO search_fts (search_fts, rowid, terms) VALUES ('delete', old.node_id, old.terms); "
    "INSERT INTO search_fts (rowid, terms) VALUES (new.node_id, new.terms); END",
]
POSTGRESQL_STATEMENTS = [
    "ALTER TABLE search_index ADD COLUMN vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, terms)) STORED",
    "CREATE INDEX ix_search_index_vector ON search_index USING gin (vector)",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    mysql_like = dialect in {"mysql", "mariadb"}
    op.create_table(
        "search_index",
        sa.Column("node_id", ID, nullable=False),
        sa.Column("terms", LONG_TEXT, nullable=False),
        sa.Column("text", LONG_TEXT, nullable=False),
        sa.Column("blob_sha256", sa.String(64), nullable=True),
        sa.Column("file_text", sa.String(16), nullable=False),
        sa.Column("indexed", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["nodes.id"],
            name="fk_search_index_node_id_nodes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("node_id", name="pk_search_index"),
        *([sa.Index("ft_search_index_terms", "terms", mysql_prefix="FULLTEXT")] if mysql_like else []),
        **MYSQL_OPTIONS,
    )
    op.create_index("ix_search_index_blob_sha256", "search_index", ["blob_sha256"])
    op.create_table(
        "search_reindex",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("last_node_id", ID, nullable=False),
        sa.Column("done", ID, nullable=False),
        sa.Column("started", TIMESTAMP, nullable=False),
        sa.Column("finished", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_search_reindex"),
        **MYSQL_OPTIONS,
    )
    statements = {"sqlite": SQLITE_STATEMENTS, "postgresql": POSTGRESQL_STATEMENTS}
    for statement in statements.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS search_index_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_reindex")
    op.drop_index("ix_search_index_blob_sha256", table_name="search_index")
    op.drop_table("search_index")
