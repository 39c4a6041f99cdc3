"""The stored state of one Project Server instance.

A project exists in up to three layers, each a set of documents in the same collections
(`headers`, `tasks`, `assignments`) told apart by `_layer`:

- `published`: what `Projects('id')`, `Projects('id')/Tasks` and the reporting feed show;
- `draft`: the saved draft (the draft database); a publish copies it to `published`;
- `session`: the working copy of whoever has the project checked out. Edits land here;
  `Draft/update()` saves it to `draft`, `Draft/checkIn(force)` throws away what was not saved.

`projects` holds each project's check-out (who, since when) and its dates; `queue_jobs` the
jobs of the queue service (see `queue.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from sandbox.errors import ErrorKind, SandboxError
from sandbox.odata.values import now
from sandbox.projectserver.errors import refusal
from sandbox.projectserver.types import CUSTOM, PROJECT

Doc = dict[str, Any]
PUBLISHED, DRAFT, SESSION = "published", "draft", "session"
LAYERED = ("headers", "tasks", "assignments")
LAYER = "_layer"


@dataclass(frozen=True)
class User:
    """Who is calling: the application a token was issued to, or a person named through the
    control plane."""

    login: str
    title: str

    @classmethod
    def app(cls, client_id: str) -> User:
        return cls(f"i:0i.t|ms.sp.ext|{client_id}", client_id)

    @classmethod
    def person(cls, email: str, title: str | None = None) -> User:
        return cls(f"i:0#.f|membership|{email}", title or email.split("@", 1)[0])

    def to_json(self) -> Doc:
        return {"LoginName": self.login, "Title": self.title}


def key(layer: str, id: str) -> str:
    return f"{layer}:{id}"


class ProjectServerState:
    def __init__(self, database: AsyncDatabase[Doc]) -> None:
        self.database = database

    def __getitem__(self, name: str) -> AsyncCollection[Doc]:
        return self.database[name]

    async def ensure_indexes(self) -> None:
        for name in LAYERED:
            await self[name].create_index([(PROJECT, ASCENDING), (LAYER, ASCENDING)])
            await self[name].create_index([("Id", ASCENDING)])
        for name, column in (
            ("rpt_Projects", "ProjectModifiedDate"),
            ("rpt_Tasks", "TaskModifiedDate"),
            ("rpt_Assignments", "AssignmentModifiedDate"),
            ("rpt_Resources", "ResourceModifiedDate"),
        ):
            await self[name].create_index([(column, ASCENDING)])
        await self["rpt_Tasks"].create_index([("ProjectId", ASCENDING)])
        await self["queue_jobs"].create_index([("project", ASCENDING)])

    async def clear(self) -> None:
        for name in await self.database.list_collection_names():
            await self[name].delete_many({})

    async def is_empty(self) -> bool:
        return await self["projects"].find_one({}, {"_id": 1}) is None

    # -- projects and their check-out ---------------------------------------------------------

    async def project(self, project_id: str) -> Doc:
        found = await self["projects"].find_one({"_id": project_id})
        if found is None:
            raise SandboxError(
                ErrorKind.NOT_FOUND, f"The project with the id '{project_id}' does not exist."
            )
        return found

    @staticmethod
    def checked_out_by(project: Doc) -> str | None:
        checkout = project.get("checkout")
        return str(checkout["login"]) if checkout else None

    def reading_layer(self, project: Doc, user: User) -> str:
        """The caller sees its own working copy; anyone else sees the saved draft."""
        return SESSION if self.checked_out_by(project) == user.login else DRAFT

    def require_checkout(self, project: Doc, user: User) -> None:
        owner = self.checked_out_by(project)
        if owner is None:
            raise refusal(
                "CICONotCheckedOut",
                f"The project '{project['_id']}' is not checked out: check it out first.",
            )
        if owner != user.login:
            raise refusal(
                "CICOCheckedOutToOtherUser",
                f"The project '{project['_id']}' is checked out to "
                f"'{project['checkout']['title']}'.",
            )

    async def check_out(self, project_id: str, user: User, description: str = "") -> Doc:
        project = await self.project(project_id)
        owner = self.checked_out_by(project)
        if owner is not None:
            name = (
                "CICOCheckedOutInOtherSession"
                if owner == user.login
                else "CICOCheckedOutToOtherUser"
            )
            raise refusal(
                name,
                f"The project '{project_id}' is checked out to '{project['checkout']['title']}' "
                f"since {project['checkout']['since']:%Y-%m-%dT%H:%M:%S}.",
            )
        checkout = {
            "login": user.login,
            "title": user.title,
            "since": now(),
            "description": description,
        }
        result = await self["projects"].update_one(
            {"_id": project_id, "checkout": None}, {"$set": {"checkout": checkout}}
        )
        if result.modified_count == 0:  # someone else got there between the read and the write
            return await self.check_out(project_id, user, description)
        await self.copy_layer(project_id, DRAFT, SESSION)
        return {**project, "checkout": checkout}

    async def release(self, project_id: str) -> None:
        await self["projects"].update_one({"_id": project_id}, {"$set": {"checkout": None}})
        for name in LAYERED:
            await self[name].delete_many({PROJECT: project_id, LAYER: SESSION})

    async def copy_layer(self, project_id: str, source: str, target: str) -> None:
        for name in LAYERED:
            collection = self[name]
            docs = await collection.find({PROJECT: project_id, LAYER: source}).to_list()
            await collection.delete_many({PROJECT: project_id, LAYER: target})
            if docs:
                await collection.insert_many(
                    [{**doc, "_id": key(target, doc["Id"]), LAYER: target} for doc in docs]
                )

    # -- records of one layer -----------------------------------------------------------------

    async def header(self, project_id: str, layer: str) -> Doc:
        found = await self["headers"].find_one({"_id": key(layer, project_id)})
        if found is None:
            raise SandboxError(
                ErrorKind.NOT_FOUND, f"The project with the id '{project_id}' does not exist."
            )
        return found

    async def records(self, name: str, project_id: str, layer: str) -> list[Doc]:
        return await self[name].find({PROJECT: project_id, LAYER: layer}).to_list()

    async def record(self, name: str, project_id: str, layer: str, id: str) -> Doc:
        found = await self[name].find_one({"_id": key(layer, id), PROJECT: project_id})
        if found is None:
            kind = "task" if name == "tasks" else "assignment"
            raise SandboxError(
                ErrorKind.NOT_FOUND, f"The {kind} with the id '{id}' does not exist in the project."
            )
        return found

    async def insert(self, name: str, project_id: str, layer: str, doc: Doc) -> Doc:
        if await self[name].find_one({"Id": doc["Id"]}, {"_id": 1}) is not None:
            raise refusal(
                "GeneralItemAlreadyExists",
                f"An item with the id '{doc['Id']}' already exists.",
                ErrorKind.DUPLICATE,
            )
        stored = {**doc, "_id": key(layer, doc["Id"]), PROJECT: project_id, LAYER: layer}
        await self[name].insert_one(stored)
        return stored

    async def set(self, name: str, doc: Doc, changes: Doc) -> Doc:
        await self[name].update_one({"_id": doc["_id"]}, {"$set": changes})
        return {**doc, **changes}

    async def set_custom(self, name: str, doc: Doc, field: str, value: Any) -> Doc:
        await self[name].update_one({"_id": doc["_id"]}, {"$set": {f"{CUSTOM}.{field}": value}})
        return {**doc, CUSTOM: {**doc.get(CUSTOM, {}), field: value}}

    async def stamp(self, project_id: str, **dates: dt.datetime) -> None:
        await self["projects"].update_one({"_id": project_id}, {"$set": dates})
