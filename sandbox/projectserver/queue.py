"""Project Server's queue service: `Draft/update()`, `Draft/publish(checkIn)` and
`Draft/checkIn(force)` only submit a job and answer its `PS.QueueJob`; the work happens
afterwards, in submission order, and clients poll `Projects('id')/QueueJobs('jobid')` until
`JobState` is 4 (Success) or 5 (Failed). The control plane can pause the queue, so that tests
see jobs waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from sandbox.errors import SandboxError
from sandbox.odata.values import now
from sandbox.projectserver import reporting
from sandbox.projectserver.errors import refusal
from sandbox.projectserver.state import DRAFT, PUBLISHED, SESSION, ProjectServerState

Doc = dict[str, Any]
_log = logging.getLogger("sandbox.projectserver")

# PS.JobState values.
READY, PROCESSING, SUCCESS, FAILED = 1, 3, 4, 5


class QueueService:
    def __init__(self, state: ProjectServerState) -> None:
        self.state = state
        self._pending: asyncio.Queue[str] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._running = asyncio.Event()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def pause(self, paused: bool) -> None:
        if paused:
            self._running.clear()
        else:
            self._running.set()

    async def submit(self, project_id: str, kind: str, login: str, **options: bool) -> Doc:
        job = {
            "_id": str(uuid.uuid4()),
            "project": project_id,
            "kind": kind,
            "login": login,
            "options": options,
            "JobState": READY,
            "PercentComplete": 0,
            "Submitted": now(),
            "Completed": None,
            "Errors": [],
        }
        await self.state["queue_jobs"].insert_one(job)
        self._enqueue(str(job["_id"]))
        return job

    async def job(self, project_id: str, job_id: str) -> Doc | None:
        return await self.state["queue_jobs"].find_one({"_id": job_id, "project": project_id})

    async def start(self) -> None:
        """Pick up jobs a previous process left waiting."""
        waiting = (
            await self.state["queue_jobs"]
            .find({"JobState": {"$in": [READY, PROCESSING]}})
            .sort("Submitted", 1)
            .to_list()
        )
        for job in waiting:
            self._enqueue(str(job["_id"]))

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        self._pending = None

    def _enqueue(self, job_id: str) -> None:
        if self._pending is None:
            self._pending = asyncio.Queue()
        self._pending.put_nowait(job_id)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        assert self._pending is not None
        while True:
            job_id = await self._pending.get()
            await self._running.wait()
            try:
                await self._run(job_id)
            except Exception:  # a broken job must not stop the queue
                _log.exception("queue job %s failed unexpectedly", job_id)

    async def _run(self, job_id: str) -> None:
        jobs = self.state["queue_jobs"]
        job = await jobs.find_one({"_id": job_id})
        if job is None or job["JobState"] not in (READY, PROCESSING):
            return
        await jobs.update_one({"_id": job_id}, {"$set": {"JobState": PROCESSING}})
        outcome: Doc = {"JobState": SUCCESS, "PercentComplete": 100}
        try:
            await self._apply(job)
        except SandboxError as error:
            outcome = {"JobState": FAILED, "Errors": [error.message]}
        await jobs.update_one({"_id": job_id}, {"$set": {**outcome, "Completed": now()}})

    async def _apply(self, job: Doc) -> None:
        state, project_id = self.state, job["project"]
        project = await state.project(project_id)
        owner = state.checked_out_by(project)
        options = job.get("options") or {}
        if job["kind"] == "checkin":
            if owner is not None and owner != job["login"] and not options.get("force"):
                raise refusal(
                    "CICOCheckedOutToOtherUser",
                    f"The project is checked out to '{project['checkout']['title']}'; "
                    "only a forced check-in releases it.",
                )
            await state.release(project_id)
            return
        if owner != job["login"]:
            # The working copy is gone (a forced check-in came first): nothing left to save.
            raise refusal("CICONotCheckedOut", f"The project '{project_id}' is not checked out.")
        if job["kind"] == "save":
            await save(state, project_id)
        else:
            await publish(state, project_id, check_in=bool(options.get("checkIn")))


async def save(state: ProjectServerState, project_id: str) -> None:
    """The working copy becomes the saved draft."""
    await state.copy_layer(project_id, SESSION, DRAFT)
    await state.stamp(project_id, LastSavedDate=now())


async def publish(state: ProjectServerState, project_id: str, *, check_in: bool) -> None:
    """Save, then make the draft the published project and refresh its reporting rows."""
    await save(state, project_id)
    await state.copy_layer(project_id, DRAFT, PUBLISHED)
    await state.stamp(project_id, LastPublishedDate=now())
    await reporting.refresh_project(state, project_id)
    if check_in:
        await state.release(project_id)
