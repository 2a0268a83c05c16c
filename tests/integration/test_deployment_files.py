"""The deployment files are valid and agree with each other and with the code: the Dockerfile,
docker-compose.yml with .env.example and deploy/compose/, and the Kubernetes overlays of deploy/k8s/.

No Docker engine or cluster exists here, so nothing is run. Validity is the validators' job: the
compose file against the Compose Specification's JSON schema (tests/schemas/compose-spec.json,
vendored), each overlay rendered by kustomize (scripts/infra/kustomize.sh installs it) and every object
checked by kubernetes-validate against the Kubernetes schemas, strictly (unknown fields fail). The
operators' custom resources (RabbitmqCluster, OpenSearchCluster, CloudNativePG's Cluster and Database)
have no schema here: no package registry ships their CRDs, so only those kinds skip the schema check
(EXPECTED_CUSTOM_KINDS; any other kind without a schema fails) and their few settings that matter to the
platform are checked by hand below. The tests here check what no schema can: that names, ports, paths,
settings and commands agree with the services.

The services are the folders of services/ with a pyproject.toml, so a service that lands (the portal)
is checked without edits; PLANNED names the five the deployment files must already cover.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from servicekit.settings import DEVELOPMENT_JWT_SECRET

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE_SCHEMA = ROOT / "tests" / "schemas" / "compose-spec.json"
NGINX_CONF = ROOT / "deploy" / "compose" / "nginx.conf"
POSTGRES_INIT = ROOT / "deploy" / "compose" / "postgres-init.sql"
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
SECRETS_EXAMPLE = K8S / "secrets.example.yaml"
KUBERNETES_VERSION = "1.33"
EXPECTED_CUSTOM_KINDS = {"RabbitmqCluster", "OpenSearchCluster", "Cluster", "Database"}
# SPEC §9.
PLANNED = {"customer": 8001, "contact": 8002, "activity": 8003, "search": 8004, "portal": 8005}
# Every value of a committed Secret must contain this (the dev JWT secret has it in lower case).
PLACEHOLDER = "CHANGE-ME"
# The paths issue 13 names for the gateway, and the service each belongs to.
GATEWAY_PATHS = {
    "/v1/customers": "customer",
    "/v1/contacts": "contact",
    "/v1/activities": "activity",
    "/v1/search": "search",
    "/v1/portal": "portal",
    "/portal/": "portal",
}


# The first kustomize call may install it (go install: minutes on a fresh, busy machine);
# scripts/test.sh installs it before pytest, this covers a bare `pytest` run.
pytestmark = pytest.mark.timeout(1200)


def existing_services() -> list[str]:
    return sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))


SERVICES = existing_services()


# ---------------------------------------------------------------------------------------------
# helpers: the services' code


def project(service: str) -> dict[str, Any]:
    return tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())["project"]


def settings_env_names(service: str) -> set[str]:
    """The environment variables a service's Settings reads (pydantic-settings, no prefix)."""
    settings = importlib.import_module(f"{service}.config").Settings
    return {name.upper() for name in settings.model_fields}


def settings_port(service: str) -> int:
    port = importlib.import_module(f"{service}.config").Settings.model_fields["port"].default
    assert isinstance(port, int)
    return port


@functools.cache
def api_paths(service: str) -> list[str]:
    """The public paths of a service's OpenAPI document (not /internal, /healthz, /readyz)."""
    app = importlib.import_module(f"{service}.main").create_app()
    return sorted(path for path in app.openapi()["paths"] if path.startswith("/v1/"))


# ---------------------------------------------------------------------------------------------
# helpers: compose


def interpolate(value: Any) -> Any:
    """A compose value as compose sees it with no variable set: ${X:-d} and ${X-d} -> d, recursively."""
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if not isinstance(value, str):
        return value
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", value)
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", "", text)
    return text.replace("$$", "$")


def load_compose() -> dict[str, Any]:
    """The compose file with YAML anchors and merge keys resolved and variables at their defaults."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(raw, dict)
    return {key: value for key, value in interpolate(raw).items() if not key.startswith("x-")}


def compose_services() -> dict[str, dict[str, Any]]:
    return load_compose()["services"]


def built_services() -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in compose_services().items() if "build" in spec}


def build_args(spec: dict[str, Any]) -> dict[str, str]:
    args = spec["build"].get("args") or {}
    if isinstance(args, list):
        args = dict(item.split("=", 1) for item in args)
    return {key: str(value) for key, value in args.items()}


def environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in env.items()}


def published_targets(spec: dict[str, Any]) -> set[int]:
    targets: set[int] = set()
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            targets.add(int(port["target"]))
        else:
            targets.add(int(str(port).rsplit(":", 1)[-1].split("/")[0]))
    return targets


def depends_on(spec: dict[str, Any]) -> dict[str, str]:
    """Target -> condition (service_started when given as a list)."""
    targets = spec.get("depends_on") or {}
    if isinstance(targets, list):
        return dict.fromkeys(targets, "service_started")
    return {name: (entry or {}).get("condition", "service_started") for name, entry in targets.items()}


def has_healthcheck(check: dict[str, Any] | None) -> bool:
    if not check or check.get("disable"):
        return False
    test = check.get("test")
    return bool(test) and test != ["NONE"]


def server_and_migration(service: str) -> tuple[dict[str, Any], dict[str, Any]]:
    services = compose_services()
    assert service in services, f"docker-compose.yml has no service {service}"
    assert f"{service}-migrate" in services, f"docker-compose.yml has no {service}-migrate"
    return services[service], services[f"{service}-migrate"]


# ---------------------------------------------------------------------------------------------
# helpers: the Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if not current and not stripped:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


def stages() -> list[tuple[str, list[tuple[str, str]]]]:
    """(stage name, its instructions) in order."""
    result: list[tuple[str, list[tuple[str, str]]]] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            words = arguments.split()
            result.append((words[-1] if len(words) == 3 else "", []))
        elif result:
            result[-1][1].append((keyword, arguments))
    return result


def stage(name: str) -> list[tuple[str, str]]:
    return dict(stages())[name]


def args_of(instructions: list[tuple[str, str]], keyword: str) -> list[str]:
    return [arguments for name, arguments in instructions if name == keyword]


def dockerignored(relative: str) -> bool:
    """Whether .dockerignore keeps a path out of the build context (its patterns as used here)."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(relative).parts
    for pattern in patterns:
        bare = pattern.removeprefix("**/")
        prefixes = [Path(*parts[: index + 1]) for index in range(len(parts))]
        if pattern.startswith("**/"):
            if any(part == bare or Path(part).match(bare) for part in parts):
                return True
        elif any(prefix.match(bare) and len(prefix.parts) == len(Path(bare).parts) for prefix in prefixes):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# helpers: nginx


def nginx_locations() -> dict[str, list[tuple[str, int]]]:
    """Active `location PATH { ... }` blocks of the gateway: path -> the (host, port) it proxies to."""
    text = "\n".join(line.split("#", 1)[0] for line in NGINX_CONF.read_text().splitlines())
    return {
        match.group(1): [
            (host, int(port))
            for host, port in re.findall(r"https?://([A-Za-z0-9_.-]+):(\d+)", match.group(2))
        ]
        for match in re.finditer(r"location\s+(?:=\s*)?(\S+)\s*\{([^{}]*)\}", text)
    }


def gateway_target(path: str) -> tuple[str, int] | None:
    """Where nginx sends a request path: the longest matching prefix location (what nginx picks)."""
    matches = [location for location in nginx_locations() if path.startswith(location)]
    if not matches:
        return None
    targets = nginx_locations()[max(matches, key=len)]
    return targets[0] if targets else None


# ---------------------------------------------------------------------------------------------
# helpers: Kubernetes


@functools.cache
def kustomize() -> str:
    script = ROOT / "scripts" / "infra" / "kustomize.sh"
    result = subprocess.run([str(script), "path"], capture_output=True, text=True, check=False, timeout=1200)
    assert result.returncode == 0, f"scripts/infra/kustomize.sh could not provide kustomize:\n{result.stderr}"
    return result.stdout.strip()


@functools.cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(
        [kustomize(), "build", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"kustomize build overlays/{overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(overlay: str, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in rendered(overlay) if doc["kind"] == kind]


def named(overlay: str, kind: str, name: str) -> dict[str, Any]:
    found = [doc for doc in of_kind(overlay, kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"overlays/{overlay}: {len(found)} {kind} named {name}"
    return found[0]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def workloads(overlay: str, service: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for workload in (named(overlay, "Deployment", service), named(overlay, "Job", f"{service}-migrate")):
        for container in pod_spec(workload)["containers"]:
            yield workload, container


def config_map_data(overlay: str, name: str) -> dict[str, str]:
    data: dict[str, str] = named(overlay, "ConfigMap", name).get("data") or {}
    return data


def container_environment(overlay: str, container: dict[str, Any]) -> dict[str, str | None]:
    """Name -> value as the container sees it (None: from a Secret)."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom") or []:
        assert "configMapRef" in source, "secrets are mapped key by key (secretKeyRef), never whole"
        env.update(config_map_data(overlay, source["configMapRef"]["name"]))
    for entry in container.get("env") or []:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        elif "configMapKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["configMapKeyRef"]
            env[entry["name"]] = config_map_data(overlay, ref["name"]).get(ref["key"])
        else:
            env[entry["name"]] = None
    return env


def secrets_example() -> dict[str, str]:
    docs = [doc for doc in yaml.safe_load_all(SECRETS_EXAMPLE.read_text()) if doc]
    assert [doc["metadata"]["name"] for doc in docs] == ["crm-secrets"]
    values: dict[str, str] = docs[0]["stringData"]
    return values


def resolve_port(port: int | str, container: dict[str, Any]) -> int | None:
    if isinstance(port, int):
        return port
    named_ports = {entry.get("name"): entry["containerPort"] for entry in container.get("ports") or []}
    return named_ports.get(port)


def selected_by(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def ingress_target(overlay: str, path: str) -> tuple[str, int] | None:
    """Service name and port a request path reaches through the Ingress (longest Prefix match)."""
    best: tuple[int, str, int] | None = None
    for ingress in of_kind(overlay, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for entry in rule["http"]["paths"]:
                prefix = entry["path"].rstrip("/") or "/"
                assert entry["pathType"] == "Prefix", entry
                matches = path == prefix or path.startswith(prefix.rstrip("/") + "/")
                if matches and (best is None or len(prefix) > best[0]):
                    backend = entry["backend"]["service"]
                    service = named(overlay, "Service", backend["name"])
                    ports = {port.get("name"): port["port"] for port in service["spec"]["ports"]}
                    number = backend["port"].get("number") or ports[backend["port"]["name"]]
                    best = (len(prefix), backend["name"], number)
    return None if best is None else (best[1], best[2])


# =============================================================================================
# docker-compose.yml


def test_compose_file_is_valid_under_the_compose_specification():
    """Both as written (variables unexpanded) and as compose sees it with the defaults of .env.example."""
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    raw = yaml.safe_load(COMPOSE_FILE.read_text())

    for document in (raw, interpolate(raw)):
        errors = [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]
        assert errors == []


def test_compose_schema_is_the_vendored_compose_specification():
    schema = json.loads(COMPOSE_SCHEMA.read_text())

    assert schema["title"] == "Compose Specification"
    assert "service_completed_successfully" in COMPOSE_SCHEMA.read_text()


def test_every_built_compose_service_is_a_planned_service_from_the_one_dockerfile():
    built = built_services()

    assert set(built) == {*PLANNED, *(f"{name}-migrate" for name in PLANNED)}
    for name, spec in built.items():
        service = build_args(spec)["SERVICE"]
        assert spec["build"].get("context", ".") == ".", name
        assert (
            ROOT / spec["build"].get("context", ".") / spec["build"].get("dockerfile", "Dockerfile")
        ) == DOCKERFILE
        assert name in (service, f"{service}-migrate")
        assert int(build_args(spec)["PORT"]) == PLANNED[service] == int(environment(spec)["PORT"]), name
        assert spec["image"] == f"crm/{service}:dev", name


@pytest.mark.parametrize("service", SERVICES)
def test_compose_builds_the_service_and_publishes_its_port(service):
    server, migration = server_and_migration(service)
    scripts = project(service).get("scripts") or {}
    port = settings_port(service)

    assert (ROOT / "services" / build_args(server)["SERVICE"] / "pyproject.toml").is_file()
    assert project(service)["name"] == service, "SERVICE names both the folder and the package"
    assert f"{service}-service" in scripts, "the image's `service` links to <SERVICE>-service"
    assert int(build_args(server)["PORT"]) == port == PLANNED[service]
    assert int(environment(server)["PORT"]) == port
    assert port in published_targets(server)
    assert environment(server)["HOST"] == "0.0.0.0", "unreachable from other containers otherwise"
    assert server["build"] == migration["build"]
    assert server["image"] == migration["image"]


@pytest.mark.parametrize("service", SERVICES)
def test_compose_migrates_before_the_service_starts(service):
    server, migration = server_and_migration(service)

    assert migration["command"] == [f"{service}-service", "migrate"]
    assert f"{service}-service" in (project(service).get("scripts") or {})
    assert migration.get("restart") == "no", "a one-shot job must not be restarted after it exits 0"
    assert depends_on(server)[f"{service}-migrate"] == "service_completed_successfully"
    assert environment(server)["MIGRATE_ON_START"] == "false"
    assert environment(migration)["DATABASE_URL"] == environment(server)["DATABASE_URL"]


@pytest.mark.parametrize("service", SERVICES)
def test_compose_environment_is_read_by_the_service_settings(service):
    known = settings_env_names(service)
    for spec in server_and_migration(service):
        assert set(environment(spec)) - known == set()


def test_every_depends_on_target_exists_and_can_meet_its_condition():
    services = compose_services()
    problems = []
    for name, spec in services.items():
        for target, condition in depends_on(spec).items():
            if target not in services:
                problems.append(f"{name} depends on unknown {target}")
            elif condition == "service_healthy" and not (
                has_healthcheck(services[target].get("healthcheck")) or "build" in services[target]
            ):
                problems.append(f"{name} waits for {target} to be healthy; it has no healthcheck")
            elif condition == "service_completed_successfully" and services[target].get("restart") != "no":
                problems.append(f"{name} waits for {target} to complete; it is restarted instead")
    assert problems == []


def test_every_long_running_container_has_a_healthcheck():
    services = compose_services()
    without = [
        name
        for name, spec in services.items()
        if spec.get("restart") != "no" and not has_healthcheck(spec.get("healthcheck"))
    ]

    assert {"postgres", "rabbitmq", "opensearch", "mailpit", "gateway", *PLANNED} <= set(services)
    assert without == []
    for service in PLANNED:
        assert "/readyz" in " ".join(services[service]["healthcheck"]["test"]), "ready, not only alive"


def test_service_urls_name_compose_services_they_wait_for():
    services = compose_services()
    wanted = {"DATABASE_URL": "postgres", "AMQP_URL": "rabbitmq", "OPENSEARCH_URL": "opensearch"}
    problems = []
    for name, spec in built_services().items():
        env = environment(spec)
        for setting in [*wanted, "CUSTOMER_SERVICE_URL", "CONTACT_SERVICE_URL"]:
            if setting not in env:
                continue
            host = urlsplit(env[setting]).hostname
            if host not in services:
                problems.append(f"{name}: {setting} names {host}, not a compose service")
            elif (
                setting in wanted
                and depends_on(spec).get(host) != "service_healthy"
                # A migration needs only the database.
                and not (name.endswith("-migrate") and setting != "DATABASE_URL")
            ):
                problems.append(f"{name}: uses {host} but does not wait for it to be healthy")
    assert problems == []


def test_opensearch_is_a_single_node_without_security_and_with_capped_memory():
    opensearch = compose_services()["opensearch"]
    env = environment(opensearch)
    heap = re.search(r"-Xmx(\d+)m", env["OPENSEARCH_JAVA_OPTS"])

    assert env["discovery.type"] == "single-node"
    assert env["DISABLE_SECURITY_PLUGIN"] == "true"
    assert heap is not None
    assert int(heap.group(1)) * 2 <= int(opensearch["mem_limit"].removesuffix("g")) * 1024
    assert environment(compose_services()["search"])["SEARCH_REPLICAS"] == "0", "one node holds no replica"


def test_rabbitmq_has_its_management_ui_and_classic_queues_on_one_node():
    rabbitmq = compose_services()["rabbitmq"]

    assert "management" in rabbitmq["image"]
    assert 15672 in published_targets(rabbitmq)
    assert {environment(spec)["BUS_QUEUE_TYPE"] for spec in built_services().values()} == {"classic"}


def test_portal_mail_goes_to_the_mail_sink():
    services = compose_services()
    portal = environment(services["portal"])

    assert portal["SMTP_HOST"] == "mailpit"
    assert int(portal["SMTP_PORT"]) == 1025
    assert {1025, 8025} <= published_targets(services["mailpit"])
    assert depends_on(services["portal"])["mailpit"] == "service_healthy"
    assert urlsplit(portal["PORTAL_PUBLIC_URL"]).port == published_port(services["gateway"], 8080)


def published_port(spec: dict[str, Any], target: int) -> int:
    for port in spec.get("ports") or []:
        host, _, container = str(port).rpartition(":")
        if int(container) == target:
            return int(host.rsplit(":", 1)[-1])
    raise AssertionError(f"{target} is not published")


def test_database_url_matches_a_role_and_database_of_the_init_script():
    sql = POSTGRES_INIT.read_text()
    problems = []
    for name, spec in built_services().items():
        parts = urlsplit(environment(spec)["DATABASE_URL"])
        role, password, database = parts.username, parts.password, parts.path.lstrip("/")
        if f"CREATE ROLE {role} LOGIN PASSWORD '{password}';" not in sql:
            problems.append(f"{name}: no role {role} with that password")
        if f"CREATE DATABASE {database} OWNER {role};" not in sql:
            problems.append(f"{name}: no database {database} owned by {role}")
    assert problems == []


def test_init_script_creates_every_planned_service_database_with_pg_trgm():
    sql = POSTGRES_INIT.read_text()

    for name in PLANNED:
        assert f"CREATE ROLE {name} LOGIN PASSWORD '{name}';" in sql
        assert f"CREATE DATABASE {name} OWNER {name};" in sql
        assert re.search(rf"\\connect {name}\nCREATE EXTENSION IF NOT EXISTS pg_trgm;", sql), name


def test_mounted_files_exist_and_named_volumes_are_declared():
    compose = load_compose()
    declared = set(compose.get("volumes") or {})
    problems = []
    for name, spec in compose["services"].items():
        for volume in spec.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]
            if source.startswith((".", "/")):
                if not (ROOT / source).exists():
                    problems.append(f"{name}: mounts missing {source}")
            elif source not in declared:
                problems.append(f"{name}: volume {source} is not declared")
    assert problems == []


def test_env_example_lists_every_compose_variable_with_its_default():
    used: dict[str, set[str]] = {}
    text = "\n".join(
        line for line in COMPOSE_FILE.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    for name, default in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}", text):
        used.setdefault(name, set()).add(default)
    listed = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            listed[key] = value.strip('"')

    assert set(listed) == set(used)
    for name, defaults in used.items():
        assert defaults == {listed[name]}, (
            f"{name}: compose defaults {defaults}, .env.example {listed[name]!r}"
        )


# =============================================================================================
# the gateway (deploy/compose/nginx.conf)


def test_gateway_routes_the_paths_of_the_issue_to_their_service():
    services = compose_services()
    for path, service in GATEWAY_PATHS.items():
        target = gateway_target(path + "x")

        assert target == (service, PLANNED[service]), path
        assert int(environment(services[service])["PORT"]) == target[1]


@pytest.mark.parametrize("service", SERVICES)
def test_gateway_routes_every_public_path_of_the_service_to_it(service):
    wrong = {path: gateway_target(path) for path in api_paths(service)}
    wrong = {path: target for path, target in wrong.items() if target != (service, PLANNED[service])}

    assert wrong == {}


def test_gateway_keeps_internal_paths_inside_and_waits_for_the_services():
    gateway = compose_services()["gateway"]
    mounts = gateway.get("volumes") or []

    assert gateway_target("/internal/v1/customers") is None
    assert "return 404;" in NGINX_CONF.read_text().split("location /internal/", 1)[1].split("}", 1)[0]
    assert any(mount.startswith("./deploy/compose/nginx.conf:/etc/nginx/") for mount in mounts)
    assert dict.fromkeys(PLANNED, "service_healthy") == {
        name: condition for name, condition in depends_on(gateway).items() if name in PLANNED
    }


# =============================================================================================
# the Dockerfile


def test_dockerfile_is_one_multi_stage_build_for_every_service():
    names = [name for name, _ in stages()]

    assert not list(ROOT.glob("services/*/Dockerfile")), "one Dockerfile at the root builds every image"
    assert names == ["manifests", "build", "runtime"]
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            assert arguments.split()[0] == "${PYTHON_IMAGE}"
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE.read_text(), "a small base"
    assert "SERVICE" in args_of(stage("build"), "ARG")
    assert "SERVICE" in args_of(stage("runtime"), "ARG")


def test_dockerfile_installs_dependencies_from_the_lock_in_their_own_layer():
    build = stage("build")
    order = [
        (keyword, arguments)
        for keyword, arguments in build
        if keyword in ("COPY", "RUN") and "pip" not in arguments
    ]
    syncs = [index for index, (keyword, arguments) in enumerate(order) if "uv sync" in arguments]
    sources = [
        index
        for index, (keyword, arguments) in enumerate(order)
        if keyword == "COPY" and "--from" not in arguments
    ]

    assert order[0] == ("COPY", "--from=manifests /src/ ./"), "the manifests only, before any source"
    assert len(syncs) == 2
    assert syncs[0] < min(sources) < syncs[1], "dependencies before the sources, members after"
    assert "--no-install-workspace" in order[syncs[0]][1]
    for index in syncs:
        sync = order[index][1]
        assert "--frozen" in sync
        assert "--no-dev" in sync
        assert '--package "${SERVICE}"' in sync
        assert "--no-editable" not in sync, "the migrations are found next to the editable sources"
    assert "! -name pyproject.toml ! -name uv.lock -delete" in " ".join(args_of(stage("manifests"), "RUN"))


def test_build_context_holds_every_workspace_manifest_and_the_service_sources():
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = [
        path.parent.relative_to(ROOT)
        for pattern in root["tool"]["uv"]["workspace"]["members"]
        for path in ROOT.glob(f"{pattern}/pyproject.toml")
    ]
    copied = " ".join(args_of(stage("build"), "COPY"))

    assert members
    for member in members:
        assert not dockerignored(str(member / "pyproject.toml")), member
    assert not dockerignored("uv.lock")
    assert "libs/ libs/" in copied
    assert "services/${SERVICE}/ services/${SERVICE}/" in copied
    for service in SERVICES:
        main = importlib.import_module(f"{service}.main")
        migrations = main.MIGRATIONS.resolve().relative_to(ROOT)
        assert migrations == Path("services", service, "migrations"), "inside the copied folder"
        assert not dockerignored(str(migrations / "env.py"))
        assert not dockerignored(f"services/{service}/src/{service}/main.py")
        assert dockerignored(f"services/{service}/tests/conftest.py")


def test_image_runs_the_service_as_non_root_on_its_port_with_a_health_check():
    runtime = stage("runtime")
    envs = " ".join(args_of(runtime, "ENV"))
    users = args_of(runtime, "USER")
    links = " ".join(args_of(stage("build"), "RUN"))

    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    assert args_of(runtime, "EXPOSE") == ["${PORT}"]
    assert "PORT=${PORT}" in envs
    assert "HOST=0.0.0.0" in envs
    assert "/healthz" in " ".join(args_of(runtime, "HEALTHCHECK"))
    assert "os.environ['PORT']" in " ".join(args_of(runtime, "HEALTHCHECK"))
    assert 'ln -s "${SERVICE}-service" /app/.venv/bin/service' in links
    assert json.loads(args_of(runtime, "CMD")[-1]) == ["service", "serve"]


# =============================================================================================
# Kubernetes (deploy/k8s/overlays/*)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_into_objects_valid_under_the_kubernetes_schemas(overlay):
    docs = rendered(overlay)
    problems = []
    without_schema = set()
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            without_schema.add(doc["kind"])
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{doc['kind']}/{doc['metadata']['name']}: {error.message}")

    assert problems == []
    assert without_schema == EXPECTED_CUSTOM_KINDS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_planned_service_has_its_objects(overlay):
    for service in PLANNED:
        for kind, name in [
            ("ConfigMap", f"{service}-config"),
            ("Job", f"{service}-migrate"),
            ("Deployment", service),
            ("Service", service),
            ("HorizontalPodAutoscaler", service),
            ("PodDisruptionBudget", service),
        ]:
            named(overlay, kind, name)
        assert config_map_data(overlay, f"{service}-config")["PORT"] == str(PLANNED[service])
    assert {doc["metadata"]["namespace"] for doc in rendered(overlay) if doc["kind"] != "Namespace"} == {
        "crm"
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("service", SERVICES)
def test_workloads_run_the_service_command_with_settings_it_reads(overlay, service):
    scripts = project(service).get("scripts") or {}
    known = settings_env_names(service)
    for workload, container in workloads(overlay, service):
        env = container_environment(overlay, container)
        command = container["command"]

        assert command[0] in scripts
        assert command[1:] == (["migrate"] if workload["kind"] == "Job" else ["serve"])
        assert set(env) - known == set(), f"{workload['metadata']['name']}: not settings"
        assert env["MIGRATE_ON_START"] == "false", "only the Job migrates"
        assert env["PORT"] == str(settings_port(service))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_probe_readyz_and_healthz_on_their_port(overlay):
    for service in PLANNED:
        deployment = named(overlay, "Deployment", service)
        (container,) = pod_spec(deployment)["containers"]
        ports = {entry["containerPort"] for entry in container["ports"]}
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        env = container_environment(overlay, container)

        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert resolve_port(container["readinessProbe"]["httpGet"]["port"], container) in ports
        assert resolve_port(container["livenessProbe"]["httpGet"]["port"], container) in ports
        assert ports == {PLANNED[service]} == {int(env["PORT"] or 0)}
        assert env["HOST"] == "0.0.0.0"
        assert container["resources"]["requests"]
        assert container["resources"]["limits"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/path"] == "/metrics"
        assert int(annotations["prometheus.io/port"]) in ports
        assert "replicas" not in deployment["spec"], "the HorizontalPodAutoscaler owns the count"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_pods_meet_the_restricted_pod_security_standard(overlay):
    """What `restricted` asks of a pod, checked here because the namespace only warns about it."""
    for service in PLANNED:
        for workload, container in workloads(overlay, service):
            pod = pod_spec(workload)["securityContext"]
            security = container["securityContext"]
            name = workload["metadata"]["name"]

            assert pod["runAsNonRoot"] is True, name
            assert pod["runAsUser"] != 0, name
            assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert not security.get("privileged"), name
    namespace = of_kind(overlay, "Namespace")[0]["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "baseline"
    assert namespace["pod-security.kubernetes.io/warn"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_autoscalers_and_budgets_select_their_deployment(overlay):
    for service in PLANNED:
        deployment = named(overlay, "Deployment", service)
        labels = pod_labels(deployment)
        kube_service = named(overlay, "Service", service)
        autoscaler = named(overlay, "HorizontalPodAutoscaler", service)
        budget = named(overlay, "PodDisruptionBudget", service)
        (container,) = pod_spec(deployment)["containers"]

        assert selected_by(deployment["spec"]["selector"]["matchLabels"], labels)
        assert selected_by(kube_service["spec"]["selector"], labels)
        for port in kube_service["spec"]["ports"]:
            assert resolve_port(port["targetPort"], container) == PLANNED[service]
        assert selected_by(budget["spec"]["selector"]["matchLabels"], labels)
        assert autoscaler["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": service,
        }
        assert 1 <= autoscaler["spec"]["minReplicas"] < autoscaler["spec"]["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secret_references_name_keys_of_the_secret_and_configmaps_exist(overlay):
    keys = set(secrets_example())
    problems = []
    for service in PLANNED:
        for workload, container in workloads(overlay, service):
            for source in container.get("envFrom") or []:
                named(overlay, "ConfigMap", source["configMapRef"]["name"])
            for entry in container.get("env") or []:
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref and (ref["name"] != "crm-secrets" or ref["key"] not in keys):
                    problems.append(f"{workload['metadata']['name']}: {ref} is not in secrets.example.yaml")
        database = [
            entry["valueFrom"]["secretKeyRef"]["key"]
            for _, container in workloads(overlay, service)
            for entry in container.get("env") or []
            if entry["name"] == "DATABASE_URL"
        ]
        assert database == [f"{service.upper()}_DATABASE_URL"] * 2, service
    assert of_kind(overlay, "Secret") == [], "no Secret is applied from the repository"
    assert problems == []


def test_no_committed_secret_holds_a_real_value():
    values = secrets_example()

    assert values
    for key, value in values.items():
        assert PLACEHOLDER in value, key
        assert value != DEVELOPMENT_JWT_SECRET, key
    for path in K8S.rglob("*.y*ml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Secret" and path != SECRETS_EXAMPLE:
                raise AssertionError(f"{path}: a Secret in the repository")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_what_the_gateway_routes(overlay):
    for path, service in GATEWAY_PATHS.items():
        assert ingress_target(overlay, path + "x" if path.endswith("/") else path + "/x") == (
            service,
            PLANNED[service],
        ), path
    for service in SERVICES:
        for path in api_paths(service):
            assert ingress_target(overlay, path) == (service, PLANNED[service]), path
    assert ingress_target(overlay, "/internal/v1/customers") is None


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_image_is_set_by_the_overlay(overlay):
    for service in PLANNED:
        images = {container["image"] for _, container in workloads(overlay, service)}
        assert len(images) == 1, service
        (image,) = images
        assert ":" in image, f"{image}: no tag"
        assert image.rsplit(":", 1)[0].endswith(f"crm/{service}"), image


# =============================================================================================
# the clusters at scale (deploy/k8s/operators, the prod overlay)


def test_prod_runs_the_infrastructure_as_clusters_with_quorum_queues():
    config = config_map_data("prod", "crm-config")
    rabbitmq = named("prod", "RabbitmqCluster", "rabbitmq")
    opensearch = named("prod", "OpenSearchCluster", "opensearch")
    postgres = named("prod", "Cluster", "crm-postgres")
    databases = {doc["spec"]["name"] for doc in of_kind("prod", "Database")}
    roles = {role["name"] for role in postgres["spec"]["managed"]["roles"]}

    assert config["ENVIRONMENT"] == "production"
    assert config["BUS_QUEUE_TYPE"] == "quorum"
    assert rabbitmq["spec"]["replicas"] == 3
    assert sum(pool["replicas"] for pool in opensearch["spec"]["nodePools"]) == 3
    assert postgres["spec"]["instances"] >= 2, "a primary and at least one standby"
    assert databases | {postgres["spec"]["bootstrap"]["initdb"]["database"]} == set(PLANNED)
    assert roles | {postgres["spec"]["bootstrap"]["initdb"]["owner"]} == set(PLANNED)


def test_prod_search_index_is_spread_over_the_opensearch_nodes():
    search = config_map_data("prod", "search-config")
    opensearch = named("prod", "OpenSearchCluster", "opensearch")
    nodes = sum(pool["replicas"] for pool in opensearch["spec"]["nodePools"])

    assert int(search["SEARCH_SHARDS"]) == nodes
    assert 1 <= int(search["SEARCH_REPLICAS"]) < nodes
    assert urlsplit(search["OPENSEARCH_URL"]).hostname == opensearch["spec"]["general"]["serviceName"]


def test_secret_urls_point_at_the_operators_services():
    secrets = secrets_example()
    postgres = named("prod", "Cluster", "crm-postgres")["metadata"]["name"]

    assert (
        urlsplit(secrets["AMQP_URL"]).hostname
        == named("prod", "RabbitmqCluster", "rabbitmq")["metadata"]["name"]
    )
    for service in PLANNED:
        url = urlsplit(secrets[f"{service.upper()}_DATABASE_URL"])
        assert url.hostname == f"{postgres}-rw", "the read-write Service follows the primary"
        assert (url.username, url.path) == (service, f"/{service}")


def test_prod_connection_pools_fit_under_max_connections():
    """Each process: its pool, as many again in overflow, and the relay's listening connection
    (servicekit.db, servicekit.relay); at the autoscalers' maximum, plus every migration Job at once."""
    pool = int(config_map_data("prod", "crm-config")["DATABASE_POOL_SIZE"])
    postgres = named("prod", "Cluster", "crm-postgres")
    max_connections = int(postgres["spec"]["postgresql"]["parameters"]["max_connections"])
    reserved = 10  # superuser, replication and the operator's own connections
    peak = sum(
        named("prod", "HorizontalPodAutoscaler", service)["spec"]["maxReplicas"] * (2 * pool + 1) + 1
        for service in PLANNED
    )

    assert peak + reserved <= max_connections


def test_dev_is_cut_down_to_one_of_everything():
    assert {doc["spec"]["minReplicas"] for doc in of_kind("dev", "HorizontalPodAutoscaler")} == {1}
    assert named("dev", "RabbitmqCluster", "rabbitmq")["spec"]["replicas"] == 1
    assert named("dev", "Cluster", "crm-postgres")["spec"]["instances"] == 1
    assert config_map_data("dev", "search-config")["SEARCH_REPLICAS"] == "0"
