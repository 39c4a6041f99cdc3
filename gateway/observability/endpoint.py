"""`GET /metrics`: the Prometheus text format, for an admin key (or anyone when
`METRICS_PUBLIC` is set, for a scraper inside a trusted network)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.roles import Role
from gateway.events.model import namespace
from gateway.observability.metrics import DeploymentFigures, QueueLag, exposition, queue_lag
from gateway.observability.run_metrics import RECORDS, RUNS, metrics_key
from gateway.security.gate import GraphQLGate
from gateway.security.responses import graphql_error_response
from gateway.services import Services
from gateway.store.job_queue import COLLECTION as JOB_QUEUE
from gateway.store.job_queue import JobStatus

log = logging.getLogger(__name__)


class MetricsEndpoint:
    def __init__(self, authenticator: GraphQLGate, *, public: bool) -> None:
        self.authenticator = authenticator
        self.public = public

    async def serve(self, request: Request) -> Response:
        services: Services = request.state.services
        if not self.public:
            refusal = await self.authenticator.require(request, services, Role.ADMIN)
            if refusal is not None:
                return refusal
        try:
            figures = await deployment_figures(services)
        except (RedisError, PyMongoError) as exc:
            log.warning("metrics not served: %s", type(exc).__name__)
            return graphql_error_response(
                503, "UNAVAILABLE", "The metrics cannot be read right now; retry shortly."
            )
        return Response(exposition(figures), media_type=CONTENT_TYPE_LATEST)


async def deployment_figures(services: Services) -> DeploymentFigures:
    space = namespace(services.settings.mongodb_database)
    async with services.redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(metrics_key(space, RUNS))
        pipe.hgetall(metrics_key(space, RECORDS))
        runs, records = await pipe.execute()
    return DeploymentFigures(runs=runs, records=records, lags=await _lags(services))


async def _lags(services: Services) -> list[QueueLag]:
    """Active entries only: one paused or asleep is not late."""
    now = datetime.now(UTC)
    cursor = services.db[JOB_QUEUE].find(
        {
            "status": {"$in": [JobStatus.READY.value, JobStatus.ERROR.value]},
            "on_hold": False,
        },
        projection={"mapping": 1, "next_run_at": 1},
    )
    return [queue_lag(doc["mapping"], doc.get("next_run_at"), now) async for doc in cursor]
