"""The `contacts` kind of customer import: not yet supported (placeholder replaced below)."""

from __future__ import annotations

from collections.abc import Sequence

from servicekit.imports.jobs import ImportJob, RowFailure, RowResult
from servicekit.imports.reading import SourceRow
from servicekit.runtime import ServiceRuntime
from servicekit.unit_of_work import UnitOfWork


class ContactRows:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    def header_problems(self, header: Sequence[str]) -> list[tuple[str | None, str]]:
        return []

    async def apply(self, uow: UnitOfWork, job: ImportJob, rows: Sequence[SourceRow]) -> list[RowResult]:
        return [
            RowResult(row.number, "failed", [RowFailure(None, "contact import is not available")])
            for row in rows
        ]
