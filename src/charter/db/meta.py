"""The declarative base and the column types every Charter table shares."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, Text
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Constraint names are spelled out so Alembic produces the same names on
# SQLite, MariaDB and PostgreSQL and later migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# InnoDB with full four-byte UTF-8; passed by every table (and its migration).
MYSQL_TABLE_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


class Base(DeclarativeBase):
    """Base class of every mapped class; carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# SQLite only makes a column an auto-incrementing rowid alias when it is
# exactly INTEGER; elsewhere ids are 64-bit.
Identifier = BigInteger().with_variant(Integer(), "sqlite")


def exact_string(length: int) -> String:
    """A VARCHAR compared byte for byte on every database.

    MySQL's default collations are case- and accent-insensitive and
    PostgreSQL's follow the locale; names and paths must compare exactly and
    sort by code point so that range scans over a path prefix are correct.
    """
    return (
        String(length)
        .with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")
        .with_variant(postgresql.VARCHAR(length, collation="C"), "postgresql")
    )


def exact_text() -> Text:
    """A TEXT column with the exact comparison of :func:`exact_string`."""
    return (
        Text()
        .with_variant(mysql.TEXT(collation="utf8mb4_bin"), "mysql", "mariadb")
        .with_variant(postgresql.TEXT(collation="C"), "postgresql")
    )


# MySQL's TEXT holds only 64 KiB; documents may be longer.
LONG_TEXT = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A point in time stored as naive UTC, returned as an aware UTC datetime.

    MySQL's DATETIME has no time zone and SQLite has no date type at all, so
    every database stores UTC without an offset; microseconds are kept.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class JSONText(TypeDecorator[Any]):
    """A JSON document stored as text, the same way on every database.

    MariaDB's JSON is LONGTEXT with a check and PostgreSQL's is a type of its
    own; plain text keeps the schema identical and the column is never queried
    inside, only read whole.
    """

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.LONGTEXT())
        return self.impl_instance

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value, separators=(",", ":"), sort_keys=True)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)
