"""``charter-config CONFIG check``: the settings validated and shown, secrets masked."""

from charter.scripts import config


def test_a_valid_file_prints_every_setting_with_its_source(write_ini, capsys, monkeypatch):
    monkeypatch.setenv("CHARTER_METRICS_TOKEN", "a-metrics-token-that-is-secret")
    path = write_ini("charter.proxy.trusted = 127.0.0.1\ncharter.db.pool_size = 7")

    assert config.main([path, "check"]) == 0

    out = capsys.readouterr().out
    lines = {
        line.split()[0]: line
        for line in out.splitlines()
        if line.startswith(("charter", "sqlalchemy", "retry"))
    }
    assert lines["charter.db.pool_size"].split()[1] == "7"
    assert lines["charter.db.pool_size"].endswith("(ini)")
    assert lines["charter.db.max_overflow"].endswith("(default)")
    assert lines["charter.metrics.token"].split()[1] == "<hidden>"
    assert "environment CHARTER_METRICS_TOKEN" in lines["charter.metrics.token"]
    assert "a-metrics-token-that-is-secret" not in out
    assert "a-session-secret-of-at-least-32-characters" not in out
    assert "OK:" in out


def test_a_database_password_is_masked(write_ini, capsys, monkeypatch):
    path = write_ini()
    monkeypatch.setenv(
        "CHARTER_DATABASE_URL", "mysql+mysqlconnector://charter:hunter2-db@db.internal/charter"
    )

    assert config.main([path, "check"]) == 0

    out = capsys.readouterr().out
    assert "hunter2-db" not in out
    assert "mysql+mysqlconnector://charter:***@db.internal/charter" in out


def test_a_replica_password_is_masked(write_ini, capsys, monkeypatch):
    path = write_ini()
    monkeypatch.setenv(
        "CHARTER_REPLICA_DATABASE_URL", "mysql+mysqlconnector://reader:hunter2-rr@replica/charter"
    )

    assert config.main([path, "check"]) == 0

    out = capsys.readouterr().out
    assert "hunter2-rr" not in out
    assert "mysql+mysqlconnector://reader:***@replica/charter" in out


def test_a_bad_value_is_one_line_and_status_1(write_ini, capsys):
    path = write_ini("charter.metrics.allow = 10.0.0.300")

    assert config.main([path, "check"]) == 1

    err = capsys.readouterr().err
    assert err.strip() == (
        "Bad setting charter.metrics.allow = '10.0.0.300': expected IP addresses or networks "
        "separated by spaces, such as 127.0.0.1 ::1 10.0.0.0/8"
    )


def test_a_bad_environment_variable_is_named(write_ini, capsys, monkeypatch):
    monkeypatch.setenv("CHARTER_SESSION_SECRET", "short")

    assert config.main([write_ini(), "check"]) == 1

    err = capsys.readouterr().err
    assert "CHARTER_SESSION_SECRET (environment)" in err
    assert "short" not in err


def test_a_missing_file(tmp_path, capsys):
    assert config.main([str(tmp_path / "nope.ini"), "check"]) == 1
    assert "No such configuration file" in capsys.readouterr().err
