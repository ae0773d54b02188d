"""The container, Kubernetes, PaaS and systemd files: linted with the maintained linters from
PyPI (hadolint, kubernetes-validate, yamllint), and every command they run is one Charter or
its dependencies install. (No container engine runs here: the image is not built.)"""

import configparser
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from charter.settings import SETTINGS

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SETUP = (REPO / "setup.py").read_text()
# What the image's PATH holds: Charter's console scripts and gunicorn.
COMMANDS = set(re.findall(r'"(charter-[a-z]+) = charter\.', SETUP)) | {"gunicorn"}
ENVIRONMENT = {setting.env for setting in SETTINGS if setting.env}


def tool(name):
    path = BIN / name
    if not path.exists():
        path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return str(path)


def test_hadolint_passes_the_dockerfile():
    result = subprocess.run(
        [tool("hadolint"), "--no-color", str(REPO / "Dockerfile")], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck():
    dockerfile = (REPO / "Dockerfile").read_text()

    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2  # multi-stage
    [user] = re.findall(r"^USER (.+)$", dockerfile, re.M)
    assert not user.startswith(("root", "0"))
    assert re.search(r"^HEALTHCHECK .*\n?.*CMD .*/healthz", dockerfile, re.M)
    [cmd] = re.findall(r"^CMD (\[.*\])$", dockerfile, re.M)
    assert json.loads(cmd) == ["gunicorn", "--paste", "production.ini", "-c", "gunicorn.conf.py"]


def k8s_documents():
    for path in sorted((REPO / "deploy" / "k8s").glob("*.yaml")):
        yield from (doc for doc in yaml.safe_load_all(path.read_text()) if doc)


def test_kubernetes_manifests_validate_against_the_schemas():
    result = subprocess.run(
        [
            tool("kubernetes-validate"),
            "--strict",
            *map(str, (REPO / "deploy" / "k8s").glob("*.yaml")),
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_yamllint_passes_compose_and_the_manifests():
    result = subprocess.run(
        [
            tool("yamllint"),
            "-c",
            str(REPO / "deploy" / "yamllint.yaml"),
            "--strict",
            str(REPO / "compose.yaml"),
            str(REPO / "deploy" / "k8s"),
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_kubernetes_deployment_has_probes_a_service_a_migration_job_and_config():
    kinds = {(doc["kind"], doc["metadata"]["name"]): doc for doc in k8s_documents()}
    web = kinds[("Deployment", "charter-web")]["spec"]["template"]["spec"]["containers"][0]

    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert ("Service", "charter") in kinds
    job = kinds[("Job", "charter-migrate")]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"][0] == "charter-migrate"
    assert ("ConfigMap", "charter") in kinds
    secret = kinds[("Secret", "charter")]
    assert set(secret["stringData"]) <= ENVIRONMENT
    for doc in k8s_documents():
        for container in (
            doc.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
        ):
            assert container["args"][0] in COMMANDS, container["args"]


def test_the_configmaps_ini_is_a_valid_charter_configuration():
    from charter.settings import parse_settings

    configmap = next(doc for doc in k8s_documents() if doc["kind"] == "ConfigMap")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(configmap["data"]["charter.ini"])
    settings = dict(parser["app:main"])

    parse_settings(settings, environ={"CHARTER_SESSION_SECRET": "x" * 40})
    assert parser["formatter_json"]["class"] == "charter.ops.logging.JSONFormatter"


def test_compose_runs_charter_mariadb_redis_and_a_worker():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]

    assert {"web", "worker", "migrate", "mariadb", "redis"} <= set(services)
    assert services["worker"]["command"][0] in COMMANDS
    assert services["migrate"]["command"][0] in COMMANDS
    assert set(services["web"]["environment"]) <= ENVIRONMENT


def test_the_procfile_names_web_worker_and_release():
    processes = dict(
        line.split(":", 1) for line in (REPO / "Procfile").read_text().splitlines() if line
    )

    assert set(processes) == {"web", "worker", "release"}
    for command in processes.values():
        assert command.split()[0] in COMMANDS
    assert "charter-migrate" in processes["release"]


@pytest.mark.parametrize("unit", ["charter.service", "charter-worker.service"])
def test_the_systemd_units_run_installed_commands(unit):
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read(REPO / "deploy" / "systemd" / unit)

    for key in ("ExecStart", "ExecStartPre"):
        if key in parser["Service"]:
            assert Path(parser["Service"][key].split()[0]).name in COMMANDS
    assert parser["Service"]["User"] != "root"
    analyze = shutil.which("systemd-analyze")
    if analyze:  # not on this machine; where it exists it checks the unit's syntax too
        result = subprocess.run(
            [analyze, "verify", "--man=no", str(REPO / "deploy" / "systemd" / unit)],
            capture_output=True,
            text=True,
        )
        assert "Unknown" not in result.stderr, result.stderr
