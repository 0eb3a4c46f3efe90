"""docker-compose.yml: valid against the Compose Specification, and the properties the deployment relies on.

The schema is vendored (tests/data/compose-spec.json, source in tests/data/SOURCES.md): no network here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gongkai.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "config" / "compose.env.example"
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"

SERVICES = {"postgres", "prefect-server", "flows", "minio", "bucket-init"}
# environment variables whose value is a credential, or carries one
CREDENTIAL = re.compile(r"PASSWORD|SECRET|AUTH_STRING|ACCESS_KEY|ROOT_USER|POSTGRES_USER|CONNECTION_URL")
# compose interpolation: ${NAME}, ${NAME:-default}, ${NAME:?message}; $${NAME} is left to the container's shell
VARIABLE = re.compile(r"(?<!\$)\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    value = service.get("environment", {})
    if isinstance(value, list):
        value = dict(item.split("=", 1) for item in value)
    return {key: str(item) for key, item in value.items()}


def compose_text() -> str:
    """The file without its comment lines."""
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def example_values() -> dict[str, str]:
    """NAME=value lines of the env example, commented-out ones (# NAME=value) included."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match[1]] = match[2].strip()
    return found


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_catches_a_broken_file(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {**compose, "services": {**compose["services"], "flows": {**compose["services"]["flows"], "depends_on": {
        "minio": {"condition": "when_ready"}}}}}
    assert not jsonschema.Draft201909Validator(schema).is_valid(broken)


def test_every_service_is_there_with_its_healthcheck(services: dict[str, Any]) -> None:
    assert SERVICES <= set(services)
    for name in ("postgres", "prefect-server", "minio"):
        healthcheck = services[name].get("healthcheck")
        assert healthcheck and healthcheck.get("test") and not healthcheck.get("disable"), name
    assert "/api/health" in " ".join(services["prefect-server"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_services_start_in_order_of_health(services: dict[str, Any]) -> None:
    assert services["flows"]["depends_on"] == {
        "prefect-server": {"condition": "service_healthy"},
        "minio": {"condition": "service_healthy"},
        "bucket-init": {"condition": "service_completed_successfully"},
    }
    assert services["prefect-server"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["bucket-init"]["depends_on"] == {"minio": {"condition": "service_healthy"}}


def test_prefect_server_runs_on_postgres(services: dict[str, Any]) -> None:
    server = services["prefect-server"]
    assert server["image"] == services["flows"]["image"] and server["build"] == services["flows"]["build"]
    command = " ".join(server["command"])
    assert "-m gongkai.flows.prefect_server" in command and "--host 0.0.0.0" in command
    url = environment(server)["PREFECT_API_DATABASE_CONNECTION_URL"]
    credentials = r"\$\{POSTGRES_USER\}:\$\{POSTGRES_PASSWORD\}"
    assert re.fullmatch(rf"postgresql\+asyncpg://{credentials}@postgres:5432/\$\{{[^}}]+\}}", url)


def test_flows_use_the_compose_server_minio_and_the_mounted_folders(services: dict[str, Any]) -> None:
    flows = services["flows"]
    assert flows["build"] == {"context": ".", "dockerfile": "docker/Dockerfile"}
    assert (ROOT / flows["build"]["dockerfile"]).is_file()
    assert flows["command"] == ["sh", "-c", "gongkai train --starter; exec gongkai up"]
    env = environment(flows)
    assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api"  # `up` reuses it instead of starting one
    assert {key: env[key] for key in ("GONGKAI_STORAGE", "GONGKAI_S3_ENDPOINT", "GONGKAI_INBOX", "GONGKAI_RETURNED",
                                      "GONGKAI_DATA_DIR")} == {
        "GONGKAI_STORAGE": "s3", "GONGKAI_S3_ENDPOINT": "minio:9000", "GONGKAI_INBOX": "/inbox",
        "GONGKAI_RETURNED": "/returned", "GONGKAI_DATA_DIR": "/data"}
    # every GONGKAI_ variable is a real setting (a typo would be silently ignored by pydantic-settings)
    settings = {f"GONGKAI_{name.upper()}" for name in Settings.model_fields}
    assert {key for key in env if key.startswith("GONGKAI_")} <= settings
    mounts = {volume.rsplit(":", 1)[1]: volume.rsplit(":", 1)[0] for volume in flows["volumes"]}
    assert mounts["/inbox"].endswith("./inbox}") and mounts["/returned"].endswith("./returned}")  # bind mounts
    assert mounts["/data"] == "gongkai-data"


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    used = {volume.split(":", 1)[0] for service in services.values() for volume in service.get("volumes", [])
            if not volume.startswith(("$", ".", "/"))}
    assert used == {"postgres-data", "minio-data", "gongkai-data"}
    assert used <= set(compose["volumes"])


def test_minio_serves_its_console(services: dict[str, Any]) -> None:
    minio = services["minio"]
    assert "--console-address" in minio["command"] and ":9001" in minio["command"]
    assert any(str(port).endswith(":9001") for port in minio["ports"])


def test_no_literal_secrets(services: dict[str, Any]) -> None:
    text = compose_text()
    for name, service in services.items():
        for key, value in environment(service).items():
            if CREDENTIAL.search(key):
                literal = VARIABLE.sub("", value.removeprefix("postgresql+asyncpg://").replace("@postgres:5432/", ""))
                assert VARIABLE.search(value) and literal.strip(":") == "", f"{name}: {key}={value}"
    for match in VARIABLE.finditer(text):  # no default value for a credential variable either
        if CREDENTIAL.search(match[1]):
            assert match[2] in (None, ":?"), match[0]
    assert "minioadmin" not in text
    assert not any("env_file" in service for service in services.values())  # variables, from .env, per service


def test_env_example_documents_every_variable_and_holds_no_secret() -> None:
    documented = example_values()
    used = {match[1] for match in VARIABLE.finditer(compose_text())}
    assert used <= set(documented), used - set(documented)
    for name, value in documented.items():
        if re.search(r"PASSWORD|SECRET|AUTH_STRING", name):
            assert value == "", f"{name} must stay an empty placeholder in the committed example"
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_bucket_init_opens_only_the_public_bucket(services: dict[str, Any]) -> None:
    job = services["bucket-init"]
    assert job["image"].startswith("minio/mc")
    script = "\n".join(job["command"]) if isinstance(job["command"], list) else job["command"]
    settings = Settings()
    public, private = settings.public_bucket, settings.private_bucket
    assert environment(services["flows"])["GONGKAI_PUBLIC_BUCKET"] == public
    assert environment(services["flows"])["GONGKAI_PRIVATE_BUCKET"] == private
    assert re.search(rf"mc mb .*/{public}\b", script) and re.search(rf"mc mb .*/{private}\b", script)
    # every anonymous-access command: download on the public bucket, none on the private one, nothing else
    anonymous = [line.strip() for line in script.splitlines() if "anonymous" in line or re.search(r"mc policy\b", line)]
    assert anonymous == [f"mc anonymous set download store/{public}", f"mc anonymous set none store/{private}"]


def test_settings_compose_passes_through_accept_their_empty_values(services: dict[str, Any],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """docker compose hands an unset ${GONGKAI_TODAY:-} over as an empty string: that means 'not set'."""
    passed = {key for service in ("flows", "prefect-server") for key, value in environment(services[service]).items()
              if key.startswith("GONGKAI_") and ":-}" in value}
    assert passed >= {"GONGKAI_TODAY", "GONGKAI_REVIEWER_HEADER"}
    for key in passed | {"GONGKAI_RETRAIN_SCHEDULE", "GONGKAI_EVALUATION_SET"}:
        monkeypatch.setenv(key, "")
    settings = Settings()
    assert settings.today is None and settings.retrain_schedule is None and settings.evaluation_set is None
    assert settings.reviewer_header is None
