"""How Charter connects: per-database connection settings made in charter.db.engine."""

import hashlib
import logging

import pytest
from sqlalchemy import insert, literal, select, text

from charter.accounts.models import User
from charter.db.engine import make_engine
from charter.db.meta import utcnow
from charter.settings import parse_settings
from charter.tree.paths import sha256_digest

SECRET = "a-session-secret-of-at-least-32-characters"

# Nothing listens on port 1: these engines are built but never connect.
UNREACHABLE_MYSQL = "mysql+mysqlconnector://root@127.0.0.1:1/charter"
UNREACHABLE_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:1/charter"
SAMPLES = ["", "/", "/projects/handbook", "/é/ünïcödé/日本語/😀"]


def engine_for(url, **settings):
    """An engine built from ini-style settings, as the app builds it."""
    return make_engine(
        parse_settings(
            {"sqlalchemy.url": url, "charter.session.secret": SECRET, **settings}, environ={}
        )
    )


@pytest.fixture
def sqlite_engine(tmp_path):
    """A Charter engine on a SQLite file in a folder that does not exist yet."""
    engine = engine_for(f"sqlite:///{tmp_path / 'not-yet' / 'charter.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def mysql_connection(db_connection):
    """The test connection, when the tests run on MySQL/MariaDB."""
    if db_connection.dialect.name not in {"mysql", "mariadb"}:
        pytest.skip("MySQL/MariaDB only")
    return db_connection


def test_sqlite_folder_is_created(sqlite_engine, tmp_path):
    with sqlite_engine.connect() as connection:
        connection.execute(text("SELECT 1"))

    assert (tmp_path / "not-yet" / "charter.sqlite").is_file()


def test_sqlite_enforces_foreign_keys(sqlite_engine):
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_sqlite_uses_write_ahead_logging_and_waits_for_locks(sqlite_engine):
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


@pytest.mark.parametrize("value", SAMPLES)
def test_sqlite_charter_sha256_matches_hashlib(sqlite_engine, value):
    with sqlite_engine.connect() as connection:
        computed = connection.execute(text("SELECT charter_sha256(:v)"), {"v": value}).scalar()

    assert computed == hashlib.sha256(value.encode("utf-8")).digest()


def test_sqlite_charter_sha256_of_null_is_null(sqlite_engine):
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("SELECT charter_sha256(NULL)")).scalar() is None


def test_sqlite_savepoints_roll_back_inside_a_transaction(sqlite_engine):
    with sqlite_engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.commit()
        with connection.begin():
            connection.execute(text("INSERT INTO t VALUES (1)"))
            savepoint = connection.begin_nested()
            connection.execute(text("INSERT INTO t VALUES (2)"))
            savepoint.rollback()
            assert connection.execute(text("SELECT x FROM t")).scalars().all() == [1]


@pytest.mark.parametrize("value", SAMPLES)
def test_sha256_sql_matches_hashlib_on_the_test_database(db_connection, value):
    computed = db_connection.scalar(select(sha256_digest(literal(value))))

    assert computed == hashlib.sha256(value.encode("utf-8")).digest()


def test_four_byte_characters_survive_a_round_trip(db_connection):
    name = "Zoë 😀 日本"
    db_connection.execute(
        insert(User).values(
            login="emoji",
            email="emoji@example.com",
            full_name=name,
            active=True,
            password_hash="x",
            created=utcnow(),
        )
    )

    assert db_connection.scalar(select(User.full_name).where(User.login == "emoji")) == name


@pytest.mark.parametrize("url", [UNREACHABLE_MYSQL, UNREACHABLE_POSTGRESQL])
def test_server_engines_take_their_pool_from_settings(url):
    engine = engine_for(
        url,
        **{
            "charter.db.pool_size": "7",
            "charter.db.max_overflow": "3",
            "charter.db.pool_timeout": "12",
            "charter.db.pool_recycle": "600",
        },
    )
    try:
        assert engine.pool.size() == 7
        assert engine.pool._max_overflow == 3
        assert engine.pool._timeout == 12
        assert engine.pool._recycle == 600
        assert engine.pool._pre_ping is True
    finally:
        engine.dispose()


def test_echo_setting_reaches_the_engine(tmp_path):
    engine = engine_for(f"sqlite:///{tmp_path / 'echo.sqlite'}", **{"charter.db.echo": "true"})
    try:
        assert engine.echo is True
    finally:
        engine.dispose()


def test_mysql_engine_asks_for_utf8mb4_and_read_committed():
    engine = engine_for(UNREACHABLE_MYSQL)
    try:
        assert engine.url.query["charset"] == "utf8mb4"
        assert engine.url.query["collation"] == "utf8mb4_unicode_ci"
        assert engine.dialect._on_connect_isolation_level == "READ COMMITTED"
    finally:
        engine.dispose()


def test_mysql_engine_keeps_a_charset_given_in_the_url():
    engine = engine_for(UNREACHABLE_MYSQL + "?charset=utf8mb4&collation=utf8mb4_bin")
    try:
        assert engine.url.query["collation"] == "utf8mb4_bin"
    finally:
        engine.dispose()


def test_mysql_engine_logs_that_the_c_extension_is_in_use(caplog):
    with caplog.at_level(logging.INFO, logger="charter.db.engine"):
        engine_for(UNREACHABLE_MYSQL).dispose()

    messages = [r.getMessage() for r in caplog.records if r.name == "charter.db.engine"]
    assert len(messages) == 1
    assert messages[0].startswith("mysql-connector-python 9.7.0")
    assert messages[0].endswith("C extension in use")
    assert caplog.records[-1].levelno == logging.INFO


def test_mysql_engine_warns_when_the_pure_python_driver_is_chosen(caplog):
    with caplog.at_level(logging.INFO, logger="charter.db.engine"):
        engine_for(UNREACHABLE_MYSQL + "?use_pure=true").dispose()

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "pure-Python implementation in use" in warnings[0].getMessage()
    assert "disabled by use_pure" in warnings[0].getMessage()


def test_other_databases_log_nothing_about_mysql(caplog, tmp_path):
    with caplog.at_level(logging.INFO, logger="charter.db.engine"):
        engine_for(f"sqlite:///{tmp_path / 'x.sqlite'}").dispose()
        engine_for(UNREACHABLE_POSTGRESQL).dispose()

    assert [r for r in caplog.records if r.name == "charter.db.engine"] == []


def test_mysql_connection_speaks_utf8mb4(mysql_connection):
    charset, collation = mysql_connection.execute(
        text("SELECT @@character_set_connection, @@collation_connection")
    ).one()

    assert charset == "utf8mb4"
    assert collation.startswith("utf8mb4_")


def test_mysql_connection_reads_committed(mysql_connection):
    assert mysql_connection.get_isolation_level() == "READ COMMITTED"
    variable = mysql_connection.execute(text("SELECT @@session.tx_isolation")).scalar()
    assert variable == "READ-COMMITTED"


def test_mysql_connection_is_strict_and_in_utc(mysql_connection):
    sql_mode = mysql_connection.execute(text("SELECT @@session.sql_mode")).scalar().split(",")
    time_zone = mysql_connection.execute(text("SELECT @@session.time_zone")).scalar()

    assert "STRICT_TRANS_TABLES" in sql_mode
    assert "NO_ENGINE_SUBSTITUTION" in sql_mode
    assert time_zone == "+00:00"


def test_mysql_connection_refuses_data_that_does_not_fit(mysql_connection):
    from sqlalchemy.exc import DataError

    savepoint = mysql_connection.begin_nested()
    with pytest.raises(DataError):
        mysql_connection.execute(
            insert(User).values(
                login="x" * 101,
                email="long@example.com",
                full_name="",
                active=True,
                password_hash="x",
                created=utcnow(),
            )
        )
    savepoint.rollback()


def test_mysql_connection_uses_the_c_extension(mysql_connection):
    driver_connection = mysql_connection.connection.dbapi_connection

    assert type(driver_connection).__name__ == "CMySQLConnection"
