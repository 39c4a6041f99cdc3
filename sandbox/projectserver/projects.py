"""`ProjectServer/Projects…`: published projects, check-out, the draft (header, tasks,
assignments, custom field values), and the queue jobs that save, publish and check in."""

from __future__ import annotations

from typing import Any

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiResponse
from sandbox.odata.paths import Segment
from sandbox.projectserver import drafts, render
from sandbox.projectserver.call import UPDATES, Call, done, flag, key
from sandbox.projectserver.outline import place
from sandbox.projectserver.queue import QueueService
from sandbox.projectserver.state import PUBLISHED, SESSION, ProjectServerState

Doc = dict[str, Any]


class Projects:
    def __init__(self, state: ProjectServerState, queue: QueueService) -> None:
        self.state = state
        self.queue = queue

    async def route(self, call: Call, head: Segment, rest: list[Segment]) -> ApiResponse:
        shape = call.shape
        if head.key is None:
            return await self._collection(call, rest)
        project = await self.state.project(key(head))
        if not rest:
            if call.method != "GET":
                raise call.not_allowed()
            return shape.one(await self.render(call, project, draft=False), "Projects")
        name = rest[0].name
        if name == "checkOut" and call.method == "POST" and len(rest) == 1:
            checked = await self.state.check_out(project["_id"], call.user)
            return shape.one(await self.render(call, checked, draft=True), "Draft")
        if name == "Draft":
            return await self._draft(call, project, rest[1:])
        if name in ("Tasks", "Assignments") and call.method == "GET":
            return await self._children(call, project, PUBLISHED, rest)
        if name == "QueueJobs" and call.method in ("GET", "POST"):
            return await self._jobs(call, project["_id"], rest)
        raise call.unknown()

    async def _collection(self, call: Call, rest: list[Segment]) -> ApiResponse:
        if not rest and call.method == "GET":
            return call.shape.many(call.page(await self._published_list(call)), "Projects")
        if len(rest) == 1 and rest[0].name == "Add" and call.method == "POST":
            project = await drafts.create_project(self.state, call.request.json())
            return call.shape.one(await self.render(call, project, draft=False), "Projects")
        raise call.unknown()

    async def _published_list(self, call: Call) -> list[Doc]:
        projects = await self.state["projects"].find({}).sort("CreatedDate", 1).to_list()
        ids = [p["_id"] for p in projects]
        headers = {
            h["Id"]: h
            for h in await self.state["headers"]
            .find({"_project": {"$in": ids}, "_layer": PUBLISHED})
            .to_list()
        }
        rows = {
            r["_id"]: r
            for r in await self.state["rpt_Projects"].find({"_id": {"$in": ids}}).to_list()
        }
        return [
            render.project(call.shape, headers[p["_id"]], p, _figures(rows.get(p["_id"])), False)
            for p in projects
            if p["_id"] in headers
        ]

    async def render(self, call: Call, project: Doc, *, draft: bool) -> Doc:
        project_id = project["_id"]
        if not draft:
            header = await self.state.header(project_id, PUBLISHED)
            row = await self.state["rpt_Projects"].find_one({"_id": project_id})
            return render.project(call.shape, header, project, _figures(row), False)
        layer = self.state.reading_layer(project, call.user)
        header = await self.state.header(project_id, layer)
        tasks = place(await self.state.records("tasks", project_id, layer))
        top = [p for p in tasks if p.level == 1]
        figures = {
            "start": min((p.start for p in top if p.start), default=None),
            "finish": max((p.finish for p in top if p.finish), default=None),
            "percent": round(sum(p.percent for p in top) / len(top)) if top else 0,
        }
        return render.project(call.shape, header, project, figures, True)

    async def _draft(self, call: Call, project: Doc, rest: list[Segment]) -> ApiResponse:
        project_id, user = project["_id"], call.user
        if not rest:
            if call.method == "GET":
                return call.shape.one(await self.render(call, project, draft=True), "Draft")
            if call.method in UPDATES:
                await drafts.update_header(self.state, project_id, user, call.request.json())
                return done(204)
            raise call.not_allowed()
        name = rest[0].name
        if call.method == "POST" and len(rest) == 1:
            if name == "SetCustomFieldValue":
                arguments = call.arguments(rest[0])
                await drafts.set_header_custom(self.state, project_id, user, arguments)
                return done()
            if name in ("update", "publish", "checkIn"):
                return await self._submit(call, project, rest[0])
        if name in ("Tasks", "Assignments"):
            if call.method == "GET":
                layer = self.state.reading_layer(project, user)
                return await self._children(call, project, layer, rest)
            return await self._edit(call, project_id, rest)
        raise call.unknown()

    async def _submit(self, call: Call, project: Doc, action: Segment) -> ApiResponse:
        project_id, user = project["_id"], call.user
        if action.name == "checkIn":
            force = flag(action, "force")
            if not force:
                self.state.require_checkout(project, user)
            job = await self.queue.submit(project_id, "checkin", user.login, force=force)
        else:
            self.state.require_checkout(project, user)
            if action.name == "update":
                job = await self.queue.submit(project_id, "save", user.login)
            else:
                check_in = flag(action, "checkIn")
                job = await self.queue.submit(project_id, "publish", user.login, checkIn=check_in)
        return call.shape.one(render.queue_job(call.shape, job), "QueueJobs")

    async def _edit(self, call: Call, project_id: str, rest: list[Segment]) -> ApiResponse:
        """`rest` starts at `Tasks` / `Tasks('id')` (or `Assignments…`)."""
        state, user, name = self.state, call.user, rest[0].name
        if rest[0].key is None:
            if len(rest) != 2 or rest[1].name != "Add" or call.method != "POST":
                raise call.not_allowed() if len(rest) == 1 else call.unknown()
            body = call.request.json()
            if name == "Tasks":
                doc = await drafts.add_task(state, project_id, user, body)
            else:
                doc = await drafts.add_assignment(state, project_id, user, body)
            return await self._one(call, project_id, SESSION, name, doc["Id"])
        item = key(rest[0])
        if name == "Tasks" and len(rest) == 2 and rest[1].name == "SetCustomFieldValue":
            arguments = call.arguments(rest[1])
            await drafts.set_task_custom(state, project_id, item, user, arguments)
            return done()
        if len(rest) != 1:
            raise call.unknown()
        if call.method == "DELETE":
            if name == "Tasks":
                await drafts.delete_task(state, project_id, item, user)
            else:
                await drafts.delete_assignment(state, project_id, item, user)
            return done()
        if call.method in UPDATES and name == "Tasks":
            await drafts.update_task(state, project_id, item, user, call.request.json())
            return done(204)
        raise call.not_allowed()

    async def _children(
        self, call: Call, project: Doc, layer: str, rest: list[Segment]
    ) -> ApiResponse:
        """`rest` starts at `Tasks` / `Tasks('id')` (or `Assignments…`)."""
        project_id, name = project["_id"], rest[0].name
        if len(rest) > 1:
            raise call.unknown()
        if rest[0].key is not None:
            return await self._one(call, project_id, layer, name, key(rest[0]))
        found = await self._render_children(call, project_id, layer, name)
        return call.shape.many(call.page(found), f"{_base(project_id, layer)}/{name}")

    async def _one(
        self, call: Call, project_id: str, layer: str, name: str, item: str
    ) -> ApiResponse:
        await self.state.record(name.lower(), project_id, layer, item)
        found = await self._render_children(call, project_id, layer, name, only=item)
        return call.shape.one(found[0], f"{_base(project_id, layer)}/{name}")

    async def _render_children(
        self, call: Call, project_id: str, layer: str, name: str, only: str | None = None
    ) -> list[Doc]:
        draft, base = layer != PUBLISHED, _base(project_id, layer)
        tasks = await self.state.records("tasks", project_id, layer)
        names = {t["Id"]: t["Name"] for t in tasks}
        if name == "Tasks":
            return [
                render.task(call.shape, p, names, base, draft=draft)
                for p in place(tasks)
                if only is None or p.doc["Id"] == only
            ]
        assignments = await self.state.records("assignments", project_id, layer)
        assignments = [a for a in assignments if only is None or a["Id"] == only]
        resource_ids = list({a["ResourceId"] for a in assignments})
        resources = {
            r["_id"]: r["Name"]
            for r in await self.state["resources"].find({"_id": {"$in": resource_ids}}).to_list()
        }
        return [
            render.assignment(call.shape, a, (names, resources), base, draft=draft)
            for a in assignments
        ]

    async def _jobs(self, call: Call, project_id: str, rest: list[Segment]) -> ApiResponse:
        shape = call.shape
        if rest[0].key is None:
            jobs = (
                await self.state["queue_jobs"]
                .find({"project": project_id})
                .sort("Submitted", 1)
                .to_list()
            )
            return shape.many([render.queue_job(shape, j) for j in jobs], "QueueJobs")
        job = await self.queue.job(project_id, key(rest[0]))
        if job is None:
            raise SandboxError(
                ErrorKind.NOT_FOUND, f"The queue job '{key(rest[0])}' does not exist."
            )
        return shape.one(render.queue_job(shape, job), "QueueJobs")


def _base(project_id: str, layer: str) -> str:
    return f"ProjectServer/Projects('{project_id}')" + ("" if layer == PUBLISHED else "/Draft")


def _figures(row: Doc | None) -> Doc:
    if row is None:
        return {}
    return {
        "start": row.get("ProjectStartDate"),
        "finish": row.get("ProjectFinishDate"),
        "percent": row.get("ProjectPercentCompleted", 0),
    }
