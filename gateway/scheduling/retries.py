"""Retrying a mapping's sync errors in the background: each record synchronized again the way
its failed attempt was going (`gateway.sync.retry`), one at a time, oldest attempt first in
pages. Conflicts left for a person (no direction) are left alone; an outage stops the pass
and is raised, so the job can be tried again later."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.refusals import RefusalCode, RefusalError
from gateway.services import Services
from gateway.sync.retry import retry_sync_error

_PAGE = 50


@dataclass
class RetryReport:
    mapping: str
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # a person decides

    def summary(self) -> dict[str, Any]:
        return {
            "mapping": self.mapping,
            "succeeded": len(self.succeeded),
            "failed": len(self.failed),
            "left": len(self.left),
        }


async def retry_mapping_errors(
    services: Services, mapping: str, *, actor: str, limit: int = 500
) -> RetryReport:
    report = RetryReport(mapping)
    errors = services.sync_errors
    after: str | None = None
    seen = 0
    while seen < limit:
        page, more = await errors.page(mapping=mapping, after=after, size=_PAGE)
        for error in page[: limit - seen]:
            seen += 1
            try:
                result = await retry_sync_error(services, error.id, actor=actor)
            except RefusalError as exc:
                if exc.code is RefusalCode.UPSTREAM_UNAVAILABLE:
                    raise
                report.left.append(error.id)
                continue
            if result.refusal is None:
                report.succeeded.append(error.id)
            elif result.refusal.code is RefusalCode.UPSTREAM_UNAVAILABLE:
                raise result.refusal
            else:
                report.failed.append(error.id)
        if not more or not page:
            break
        after = page[-1].id
    return report
