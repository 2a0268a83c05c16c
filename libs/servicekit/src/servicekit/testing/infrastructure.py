"""Where the tests' PostgreSQL, RabbitMQ and OpenSearch are, and how to stop and start the broker.

`CRM_TEST_INFRA=local` (what scripts/test.sh sets on a machine without Docker): the servers the
provisioning scripts started, at the URLs in `CRM_TEST_*`. `CRM_TEST_INFRA=testcontainers`: containers
started here, for machines with a Docker engine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Infrastructure:
    pg_admin_url: str
    """A superuser's plain `postgresql://` URL; tests create and drop their own databases with it."""
    amqp_url: str
    opensearch_url: str
    run_rabbitmqctl: Callable[[list[str]], None]

    def stop_broker(self) -> None:
        """Stop RabbitMQ's application (its Erlang node stays up): every connection is closed."""
        self.run_rabbitmqctl(["stop_app"])

    def start_broker(self) -> None:
        self.run_rabbitmqctl(["start_app"])
        self.run_rabbitmqctl(["await_startup"])


def _local_rabbitmqctl(arguments: list[str]) -> None:
    subprocess.run(["rabbitmqctl", "-q", *arguments], check=True, capture_output=True, timeout=120)


@contextmanager
def local_infrastructure() -> Iterator[Infrastructure]:
    yield Infrastructure(
        pg_admin_url=os.environ.get(
            "CRM_TEST_PG_ADMIN_URL", "postgresql://crm_admin:crm_admin@127.0.0.1:5432/postgres"
        ),
        amqp_url=os.environ.get("CRM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
        opensearch_url=os.environ.get("CRM_TEST_OPENSEARCH_URL", "http://127.0.0.1:9200"),
        run_rabbitmqctl=_local_rabbitmqctl,
    )


@contextmanager
def container_infrastructure() -> Iterator[Infrastructure]:
    from testcontainers.community.opensearch import OpenSearchContainer
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.rabbitmq import RabbitMqContainer

    with (
        PostgresContainer("postgres:15", username="crm_admin", password="crm_admin", dbname="postgres") as pg,
        RabbitMqContainer("rabbitmq:3.13-management") as rabbit,
        OpenSearchContainer("opensearchproject/opensearch:2.19.1") as opensearch,
    ):

        def rabbitmqctl(arguments: list[str]) -> None:
            exit_code, output = rabbit.exec(["rabbitmqctl", "-q", *arguments])
            if exit_code != 0:
                raise RuntimeError(f"rabbitmqctl {arguments} failed: {output!r}")

        host, port = rabbit.get_container_host_ip(), rabbit.get_exposed_port(5672)
        search = opensearch.get_config()
        yield Infrastructure(
            pg_admin_url=pg.get_connection_url(driver=None),
            amqp_url=f"amqp://guest:guest@{host}:{port}/",
            opensearch_url=f"http://{search['host']}:{search['port']}",
            run_rabbitmqctl=rabbitmqctl,
        )


def infrastructure() -> AbstractContextManager[Infrastructure]:
    mode = os.environ.get("CRM_TEST_INFRA", "local")
    if mode == "testcontainers":
        return container_infrastructure()
    if mode == "local":
        return local_infrastructure()
    raise RuntimeError(f"CRM_TEST_INFRA must be 'local' or 'testcontainers', not {mode!r}")
