"""The deployment files agree with each other and with the code (docker-compose.yml, the services'
Dockerfiles, deploy/compose/, deploy/k8s/).

Static checks: no Docker engine or cluster is needed. Each test guards a mistake that would
otherwise show only at `docker compose up` or `kubectl apply` time, or later in production.
"""

from __future__ import annotations

import base64
import importlib
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from servicekit.settings import DEVELOPMENT_JWT_SECRET

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "compose" / "nginx.conf"
POSTGRES_INIT = ROOT / "deploy" / "compose" / "postgres-init.sql"
K8S = ROOT / "deploy" / "k8s"
SECRETS_EXAMPLE = K8S / "secrets.example.yaml"
# Every value of a committed Secret must contain this (the dev JWT secret has it in lower case).
PLACEHOLDER = "CHANGE-ME"
URL_SETTINGS = ("DATABASE_URL", "AMQP_URL", "OPENSEARCH_URL")


# ---------------------------------------------------------------------------------------------
# helpers: compose


def interpolate(value: Any) -> str:
    """A compose value as compose would see it with no variables set: ${X:-d} and ${X-d} -> d."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}", r"\1", text)
    text = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}", "", text)
    return text.replace("$$", "$")


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose_services() -> dict[str, dict[str, Any]]:
    return load_compose()["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: interpolate(value) for key, value in env.items()}


def container_ports(service: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["target"]))
        else:
            target = interpolate(port).rsplit(":", 1)[-1].split("/")[0]
            ports.add(int(target))
    return ports


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Target -> condition (service_started when given as a list)."""
    targets = service.get("depends_on") or {}
    if isinstance(targets, list):
        return dict.fromkeys(targets, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in targets.items()}


def dockerfile_of(service: dict[str, Any]) -> Path:
    build = service["build"]
    if isinstance(build, str):
        return ROOT / build / "Dockerfile"
    return ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")


def has_healthcheck(check: dict[str, Any] | None) -> bool:
    if not check or check.get("disable"):
        return False
    test = check.get("test")
    return bool(test) and test != ["NONE"]


def built_services() -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in compose_services().items() if "build" in spec}


# ---------------------------------------------------------------------------------------------
# helpers: Dockerfiles and the workspace


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    return instructions


def instruction_args(path: Path, keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile_instructions(path) if name == keyword]


def exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), f"not the exec (JSON) form: {arguments}"
    return value


def base_images(dockerfile: Path) -> list[str]:
    """The images the stages start FROM, with ARG defaults filled in and earlier stages left out."""
    defaults: dict[str, str] = {}
    stages: set[str] = set()
    images: list[str] = []
    for keyword, arguments in dockerfile_instructions(dockerfile):
        if keyword == "ARG" and "=" in arguments and not images:
            key, _, value = arguments.partition("=")
            defaults[key.strip()] = value.strip().strip('"')
        elif keyword == "FROM":
            words = [word for word in arguments.split() if not word.startswith("--")]
            image = re.sub(r"\$\{?(\w+)\}?", lambda match: defaults.get(match.group(1), ""), words[0])
            if image not in stages:
                images.append(image)
            if len(words) == 3 and words[1].upper() == "AS":
                stages.add(words[2])
    return images


def project_of(dockerfile: Path) -> dict[str, Any]:
    """The [project] table of the workspace member whose directory holds the Dockerfile."""
    return tomllib.loads((dockerfile.parent / "pyproject.toml").read_text())["project"]


def workspace_members() -> list[Path]:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members: list[Path] = []
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        members += sorted(path.parent for path in ROOT.glob(f"{pattern}/pyproject.toml"))
    return members


def settings_env_names(package: str) -> set[str]:
    """The environment variables a service's Settings reads (pydantic-settings, no prefix)."""
    settings = importlib.import_module(f"{package}.config").Settings
    return {name.upper() for name in settings.model_fields}


def settings_port(package: str) -> int:
    return importlib.import_module(f"{package}.config").Settings.model_fields["port"].default


# ---------------------------------------------------------------------------------------------
# helpers: nginx


def nginx_locations() -> dict[str, str]:
    """Active (uncommented) `location PATH { ... }` blocks of the gateway, by path."""
    text = "\n".join(line.split("#", 1)[0] for line in NGINX_CONF.read_text().splitlines())
    return {
        match.group(1): match.group(2)
        for match in re.finditer(r"location\s+(?:=\s*)?(\S+)\s*\{([^{}]*)\}", text)
    }


def proxy_targets(block: str) -> list[tuple[str, int]]:
    return [(host, int(port)) for host, port in re.findall(r"https?://([A-Za-z0-9_.-]+):(\d+)", block)]


def strips_prefix(block: str, prefix: str) -> bool:
    """/prefix/rest reaches the service as /rest: by rewrite, or proxy_pass with a URI part."""
    name = re.escape(prefix.strip("/"))
    rewrite = re.search(rf"rewrite\s+\^/{name}\(/\.\*\)\$\s+\$1\s+break;", block)
    uri_part = re.search(r"proxy_pass\s+https?://[^/\s;]+/\s*;", block)
    return bool(rewrite or uri_part)


# ---------------------------------------------------------------------------------------------
# helpers: Kubernetes


def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def kustomize_resources() -> list[Path]:
    return [K8S / entry for entry in kustomization().get("resources") or []]


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifests() -> list[dict[str, Any]]:
    """Every object the kustomization applies."""
    return [doc for path in kustomize_resources() for doc in documents(path)]


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in manifests() if doc.get("kind") == kind]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def service_package(workload: dict[str, Any]) -> str:
    return pod_labels(workload)["app.kubernetes.io/name"]


def workload_containers() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for workload in of_kind("Deployment") + of_kind("Job"):
        for container in pod_spec(workload)["containers"]:
            yield workload, container


def resolve_port(port: int | str, container: dict[str, Any]) -> int | None:
    if isinstance(port, int):
        return port
    named = {entry.get("name"): entry["containerPort"] for entry in container.get("ports") or []}
    return named.get(port)


def container_env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container.get("env") or []}


def config_map_data(name: str) -> dict[str, str]:
    for config in of_kind("ConfigMap"):
        if config["metadata"]["name"] == name:
            return config.get("data") or {}
    raise AssertionError(f"no ConfigMap {name} in the kustomization")


def selected_by(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


# =============================================================================================
# docker-compose.yml


def test_compose_file_parses_into_services_and_volumes():
    compose = load_compose()

    assert isinstance(compose, dict)
    assert isinstance(compose.get("services"), dict)
    assert compose["services"]
    for name, spec in compose["services"].items():
        assert "image" in spec or "build" in spec, f"{name}: neither image nor build"


def test_every_built_service_points_at_an_existing_dockerfile():
    services = built_services()

    assert services, "no service is built from this repository"
    missing = {name: str(dockerfile_of(spec)) for name, spec in services.items()}
    missing = {name: path for name, path in missing.items() if not Path(path).is_file()}
    assert missing == {}


def test_every_depends_on_target_exists_and_can_become_healthy():
    services = compose_services()
    problems = []
    for name, spec in services.items():
        for target, condition in depends_on(spec).items():
            if target not in services:
                problems.append(f"{name} depends on unknown {target}")
                continue
            if condition == "service_healthy":
                target_spec = services[target]
                image_check = "build" in target_spec and instruction_args(
                    dockerfile_of(target_spec), "HEALTHCHECK"
                )
                if not (has_healthcheck(target_spec.get("healthcheck")) or image_check):
                    problems.append(f"{name} waits for {target} to be healthy; it has no healthcheck")
    assert problems == []


def test_every_infrastructure_container_has_a_healthcheck():
    infrastructure = {name: spec for name, spec in compose_services().items() if "build" not in spec}

    assert {"postgres", "rabbitmq", "opensearch"} <= set(infrastructure)
    without = [name for name, spec in infrastructure.items() if not has_healthcheck(spec.get("healthcheck"))]
    assert without == []


def test_every_built_service_has_a_healthcheck_in_compose_or_its_image():
    without = [
        name
        for name, spec in built_services().items()
        if not has_healthcheck(spec.get("healthcheck"))
        and not any("/healthz" in args for args in instruction_args(dockerfile_of(spec), "HEALTHCHECK"))
    ]
    assert without == []


def test_customer_service_environment_binds_all_interfaces_on_its_published_port():
    customer = compose_services()["customer"]
    env = environment(customer)

    assert env.get("HOST") == "0.0.0.0"
    assert env.get("DATABASE_URL", "").startswith("postgresql+asyncpg://")
    assert env.get("AMQP_URL", "").startswith("amqp://")
    assert "PORT" in env
    assert int(env["PORT"]) in container_ports(customer)
    assert int(env["PORT"]) == settings_port("customer")


def test_built_services_bind_all_interfaces_and_publish_their_port():
    problems = []
    for name, spec in built_services().items():
        env = environment(spec)
        if env.get("HOST") != "0.0.0.0":
            problems.append(f"{name}: HOST={env.get('HOST')!r}, unreachable from other containers")
        if "PORT" not in env or int(env["PORT"]) not in container_ports(spec):
            problems.append(f"{name}: PORT={env.get('PORT')!r} but publishes {container_ports(spec)}")
    assert problems == []


def test_built_services_environment_is_read_by_their_settings():
    problems = []
    for name, spec in built_services().items():
        package = project_of(dockerfile_of(spec))["name"]
        unknown = set(environment(spec)) - settings_env_names(package)
        if unknown:
            problems.append(f"{name}: {sorted(unknown)} are not settings of {package}")
    assert problems == []


def test_service_urls_name_compose_services_they_wait_for():
    services = compose_services()
    problems = []
    for name, spec in built_services().items():
        env = environment(spec)
        for setting in URL_SETTINGS:
            if setting not in env:
                continue
            host = urlsplit(env[setting]).hostname
            if host not in services:
                problems.append(f"{name}: {setting} names {host}, not a compose service")
            elif depends_on(spec).get(host) != "service_healthy":
                problems.append(f"{name}: uses {host} but does not wait for it to be healthy")
    assert problems == []


def test_database_url_matches_a_role_and_database_of_the_init_script():
    sql = POSTGRES_INIT.read_text()
    problems = []
    for name, spec in built_services().items():
        url = environment(spec).get("DATABASE_URL")
        if url is None:
            continue
        parts = urlsplit(url)
        role, password, database = parts.username, parts.password, parts.path.lstrip("/")
        if f"CREATE ROLE {role} LOGIN PASSWORD '{password}';" not in sql:
            problems.append(f"{name}: no role {role} with that password")
        if f"CREATE DATABASE {database} OWNER {role};" not in sql:
            problems.append(f"{name}: no database {database} owned by {role}")
        if not re.search(rf"\\connect {database}\nCREATE EXTENSION IF NOT EXISTS pg_trgm;", sql):
            problems.append(f"{name}: no pg_trgm in {database}")
    assert problems == []


def test_init_script_creates_every_planned_service_database_with_pg_trgm():
    sql = POSTGRES_INIT.read_text()

    for name in ("customer", "contact", "activity", "search", "portal"):
        assert f"CREATE ROLE {name} LOGIN PASSWORD '{name}';" in sql
        assert f"CREATE DATABASE {name} OWNER {name};" in sql
        assert re.search(rf"\\connect {name}\nCREATE EXTENSION IF NOT EXISTS pg_trgm;", sql), name


def test_mounted_files_exist_and_named_volumes_are_declared():
    compose = load_compose()
    declared = set(compose.get("volumes") or {})
    problems = []
    for name, spec in compose["services"].items():
        for volume in spec.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else interpolate(volume).split(":", 1)[0]
            if source.startswith((".", "/")):
                if not (ROOT / source).exists():
                    problems.append(f"{name}: mounts missing {source}")
            elif source not in declared:
                problems.append(f"{name}: volume {source} is not declared")
    assert problems == []


# =============================================================================================
# the gateway (deploy/compose/nginx.conf)


def test_gateway_routes_customer_prefix_to_the_customer_port():
    customer_port = int(environment(compose_services()["customer"])["PORT"])
    block = nginx_locations().get("/customer/")

    assert block is not None, "no location /customer/"
    assert proxy_targets(block) == [("customer", customer_port)]
    assert strips_prefix(block, "/customer/"), "the service's routes start at /v1, not /customer"


def test_every_gateway_target_is_a_compose_service_on_its_port():
    services = compose_services()
    problems = []
    for path, block in nginx_locations().items():
        for host, port in proxy_targets(block):
            if host not in services:
                problems.append(f"{path} -> {host}: no such compose service")
            elif port != int(environment(services[host]).get("PORT", -1)):
                problems.append(f"{path} -> {host}:{port}, but {host} listens on its PORT")
    assert problems == []


def test_every_built_service_is_routed_by_the_gateway():
    routed = {host for block in nginx_locations().values() for host, _ in proxy_targets(block)}

    assert set(built_services()) <= routed


def test_gateway_mounts_the_config_and_waits_for_the_services():
    gateway = compose_services()["gateway"]
    mounts = [interpolate(volume) for volume in gateway.get("volumes") or []]

    assert any(mount.startswith("./deploy/compose/nginx.conf:/etc/nginx/") for mount in mounts)
    assert set(built_services()) <= set(depends_on(gateway))


# =============================================================================================
# the services' Dockerfiles


def test_dockerfile_cmd_runs_the_console_script_of_the_service():
    for name, spec in built_services().items():
        dockerfile = dockerfile_of(spec)
        scripts = project_of(dockerfile).get("scripts") or {}
        commands = instruction_args(dockerfile, "CMD")
        assert commands, f"{name}: no CMD"
        command = exec_form(commands[-1])

        assert command[0] in scripts, f"{name}: {command[0]} is not in [project.scripts]"
        assert command[1:] == ["serve"]
        module, _, function = scripts[command[0]].partition(":")
        assert callable(getattr(importlib.import_module(module), function))


def test_dockerfile_copies_every_workspace_member_pyproject():
    """uv reads the whole workspace, so `uv sync` in the image fails when a member is missing."""
    expected = {str(member.relative_to(ROOT) / "pyproject.toml") for member in workspace_members()}
    for name, spec in built_services().items():
        copied = {
            source
            for arguments in instruction_args(dockerfile_of(spec), "COPY")
            if not arguments.startswith("--from")
            for source in arguments.split()[:-1]
        }
        assert expected <= copied, f"{name}: COPY is missing {sorted(expected - copied)}"
        assert "uv.lock" in copied
        assert "pyproject.toml" in copied


def test_dockerfile_installs_the_service_package_editable_from_the_lock():
    for name, spec in built_services().items():
        dockerfile = dockerfile_of(spec)
        package = project_of(dockerfile)["name"]
        syncs = [args for args in instruction_args(dockerfile, "RUN") if "uv sync" in args]

        assert len(syncs) == 2, f"{name}: one uv sync for the dependencies, one for the workspace"
        assert "--no-install-workspace" in syncs[0]
        for sync in syncs:
            assert "--frozen" in sync
            assert "--no-dev" in sync
            assert f"--package {package}" in sync
            assert "--no-editable" not in sync, "migrations are found next to the editable sources"


def test_dockerfile_puts_the_migrations_where_the_service_looks_for_them():
    for name, spec in built_services().items():
        dockerfile = dockerfile_of(spec)
        main = importlib.import_module(f"{project_of(dockerfile)['name']}.main")
        # The member's directory the package is imported from (editable: the source tree);
        # MIGRATIONS outside it would not be in the image at the same place.
        installed = next(
            path for path in Path(main.__file__).resolve().parents if (path / "pyproject.toml").is_file()
        )
        migrations = dockerfile.parent.relative_to(ROOT) / main.MIGRATIONS.relative_to(installed)
        copies = [args.split() for args in instruction_args(dockerfile, "COPY")]

        assert [str(migrations), str(migrations)] in [copy[-2:] for copy in copies], name
        assert (ROOT / migrations / "env.py").is_file()


def test_dockerfile_runs_as_non_root_exposes_its_port_and_checks_healthz():
    for name, spec in built_services().items():
        dockerfile = dockerfile_of(spec)
        package = project_of(dockerfile)["name"]
        users = instruction_args(dockerfile, "USER")
        envs = " ".join(instruction_args(dockerfile, "ENV"))

        assert users, f"{name}: no USER, runs as root"
        assert users[-1].split(":")[0] not in ("root", "0"), f"{name}: runs as root"
        assert instruction_args(dockerfile, "EXPOSE") == [str(settings_port(package))]
        assert "HOST=0.0.0.0" in envs
        assert any("/healthz" in args for args in instruction_args(dockerfile, "HEALTHCHECK"))
        assert set(base_images(dockerfile)) == {"python:3.11-slim"}, name


# =============================================================================================
# Kubernetes (deploy/k8s)


def test_every_kustomization_resource_exists_and_parses():
    resources = kustomize_resources()

    assert resources
    for path in resources:
        assert path.is_file(), f"{path} is listed in kustomization.yaml but missing"
        docs = documents(path)
        assert docs, f"{path} is empty"
        for doc in docs:
            assert doc.get("apiVersion"), path
            assert doc.get("kind"), path
            assert doc.get("metadata", {}).get("name"), path


def test_kustomization_applies_no_secret_and_no_example_infrastructure():
    listed = [str(path.relative_to(K8S)) for path in kustomize_resources()]

    assert of_kind("Secret") == []
    assert not any(entry.startswith("infrastructure") or "example" in entry for entry in listed)


def test_example_manifests_parse():
    for path in [SECRETS_EXAMPLE, *sorted((K8S / "infrastructure").glob("*.yaml"))]:
        for doc in documents(path):
            assert doc.get("apiVersion"), path
            assert doc.get("kind"), path


def test_no_committed_secret_holds_a_real_value():
    secrets = [
        (path, doc)
        for path in sorted(ROOT.joinpath("deploy").rglob("*.y*ml"))
        for doc in documents(path)
        if doc.get("kind") == "Secret"
    ]

    assert secrets, "secrets.example.yaml should show the Secret's keys"
    problems = []
    for path, secret in secrets:
        values = dict(secret.get("stringData") or {})
        values.update(
            {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}
        )
        for key, value in values.items():
            if PLACEHOLDER not in str(value) or value == DEVELOPMENT_JWT_SECRET:
                problems.append(f"{path.relative_to(ROOT)}: {key} is not a placeholder")
    assert problems == []


def test_every_deployment_probes_readyz_and_healthz_on_its_container_port():
    deployments = of_kind("Deployment")

    assert deployments
    for deployment in deployments:
        for container in pod_spec(deployment)["containers"]:
            name = f"{deployment['metadata']['name']}/{container['name']}"
            ports = {entry["containerPort"] for entry in container.get("ports") or []}
            env = container_env(container)
            readiness = container["readinessProbe"]["httpGet"]
            liveness = container["livenessProbe"]["httpGet"]

            assert readiness["path"] == "/readyz", name
            assert liveness["path"] == "/healthz", name
            assert resolve_port(readiness["port"], container) in ports, name
            assert resolve_port(liveness["port"], container) in ports, name
            assert int(env["PORT"]["value"]) in ports, name
            assert env["HOST"]["value"] == "0.0.0.0", name


def test_deployments_leave_migrations_to_a_job_running_the_console_script():
    jobs = of_kind("Job")
    for deployment in of_kind("Deployment"):
        package = service_package(deployment)
        project = tomllib.loads((ROOT / "services" / package / "pyproject.toml").read_text())["project"]
        scripts = set(project.get("scripts") or {})
        container = pod_spec(deployment)["containers"][0]
        migrate = [
            job_container.get("command", [])
            for job in jobs
            if service_package(job) == package
            for job_container in pod_spec(job)["containers"]
        ]

        assert container_env(container)["MIGRATE_ON_START"]["value"] == "false", package
        assert container["command"][0] in scripts, package
        assert container["command"][1:] == ["serve"], package
        assert len(migrate) == 1, f"{package}: one migration Job"
        assert migrate[0][0] in scripts, package
        assert migrate[0][1:] == ["migrate"], package


def test_workload_environment_is_read_by_the_service_settings():
    problems = []
    for workload, container in workload_containers():
        names = set(container_env(container))
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                names |= set(config_map_data(source["configMapRef"]["name"]))
            if "secretRef" in source:
                names |= {
                    key
                    for doc in documents(SECRETS_EXAMPLE)
                    if doc["metadata"]["name"] == source["secretRef"]["name"]
                    for key in doc.get("stringData") or {}
                }
        unknown = names - settings_env_names(service_package(workload))
        if unknown:
            problems.append(f"{workload['metadata']['name']}: {sorted(unknown)} are not settings")
    assert problems == []


def test_referenced_config_and_secret_keys_exist():
    secret_keys = {
        doc["metadata"]["name"]: set(doc.get("stringData") or {}) | set(doc.get("data") or {})
        for doc in documents(SECRETS_EXAMPLE)
    }
    problems = []
    for workload, container in workload_containers():
        for entry in container.get("env") or []:
            source = entry.get("valueFrom") or {}
            if "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                if not ref.get("optional") and ref["key"] not in config_map_data(ref["name"]):
                    problems.append(f"{workload['metadata']['name']}: no {ref['key']} in {ref['name']}")
            if "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                if not ref.get("optional") and ref["key"] not in secret_keys.get(ref["name"], set()):
                    problems.append(f"{workload['metadata']['name']}: no {ref['key']} in {ref['name']}")
    assert problems == []


def test_production_config_uses_quorum_queues_and_the_cluster_broker():
    config = config_map_data("crm-config")
    secret = documents(SECRETS_EXAMPLE)[0]["stringData"]

    assert config["ENVIRONMENT"] == "production"
    assert config["BUS_QUEUE_TYPE"] == "quorum"
    assert urlsplit(secret["AMQP_URL"]).hostname == "rabbitmq.crm.svc"
    assert urlsplit(config["OPENSEARCH_URL"]).hostname == "opensearch.crm.svc"


def test_services_and_disruption_budgets_select_the_deployment_pods():
    deployments = of_kind("Deployment")
    problems = []
    for service in of_kind("Service"):
        selector = service["spec"].get("selector") or {}
        matches = [d for d in deployments if selected_by(selector, pod_labels(d))]
        if not matches:
            problems.append(f"Service {service['metadata']['name']} selects no Deployment")
            continue
        container = pod_spec(matches[0])["containers"][0]
        for port in service["spec"]["ports"]:
            if resolve_port(port.get("targetPort", port["port"]), container) is None:
                problems.append(f"Service {service['metadata']['name']}: no container port {port}")
    for budget in of_kind("PodDisruptionBudget"):
        selector = budget["spec"]["selector"].get("matchLabels") or {}
        if not any(selected_by(selector, pod_labels(d)) for d in deployments):
            problems.append(f"PodDisruptionBudget {budget['metadata']['name']} selects no Deployment")
    for deployment in deployments:
        if deployment["spec"]["replicas"] < 2:
            problems.append(f"{deployment['metadata']['name']}: one replica cannot keep a PDB")
        if not selected_by(deployment["spec"]["selector"]["matchLabels"], pod_labels(deployment)):
            problems.append(f"{deployment['metadata']['name']}: selector does not match its pods")
    assert problems == []


def test_prometheus_scrapes_the_container_port():
    for deployment in of_kind("Deployment"):
        annotations = deployment["spec"]["template"]["metadata"].get("annotations") or {}
        ports = {entry["containerPort"] for entry in pod_spec(deployment)["containers"][0]["ports"]}

        assert annotations.get("prometheus.io/scrape") == "true"
        assert annotations.get("prometheus.io/path") == "/metrics"
        assert int(annotations.get("prometheus.io/port", -1)) in ports


def test_ingress_routes_customer_prefix_to_the_customer_service():
    services = {service["metadata"]["name"]: service for service in of_kind("Service")}
    ingresses = of_kind("Ingress")
    paths = [
        (path["path"], path["backend"]["service"])
        for ingress in ingresses
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]

    assert any(path.startswith("/customer") and backend["name"] == "customer" for path, backend in paths)
    for path, backend in paths:
        assert backend["name"] in services, path
        port_names = {port.get("name") for port in services[backend["name"]]["spec"]["ports"]}
        port_numbers = {port["port"] for port in services[backend["name"]]["spec"]["ports"]}
        wanted = backend["port"]
        assert wanted.get("name") in port_names or wanted.get("number") in port_numbers, path


def test_every_workload_image_is_set_by_the_kustomization():
    images = {image["name"] for image in kustomization().get("images") or [] if image.get("newName")}
    unset = {container["image"] for _, container in workload_containers()} - images

    assert unset == set()
