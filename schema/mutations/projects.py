"""Publishing an ERP project to the project-management system (Project Server)."""

from __future__ import annotations

import strawberry

from adapters.documents import DocumentKind
from gateway.auth.roles import Role
from gateway.couplings.publish import publish_project
from gateway.refusals import RefusalCode, RefusalError
from schema.context import Info
from schema.errors import UserError, user_error, user_errors
from schema.mutations.couplings import actor
from schema.permissions import requires
from schema.types.couplings import Coupling
from schema.types.documents_projects import Project


@strawberry.input(description="The ERP project to publish.")
class PublishProjectToProjectServerInput:
    erp_id: strawberry.ID = strawberry.field(description="The project's id in the ERP.")


@strawberry.type
class PublishProjectToProjectServerPayload:
    project: Project | None = strawberry.field(
        description="The project, with its new Project Server id and tasks."
    )
    coupling: Coupling | None = strawberry.field(description="The coupling just made.")
    tasks_created: int = strawberry.field(description="How many tasks were created for it.")
    message: str | None
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; or, once the project is published, the activities "
        "that could not become tasks (sync errors the scheduled runs retry)."
    )


@strawberry.type
class ProjectPlanMutation:
    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Create a project in Project Server from an ERP project, couple the two, "
        "and create its tasks from the project's activities, with their tree. A project that "
        "is coupled already is refused with ALREADY_COUPLED.",
    )
    async def publish_project_to_project_server(
        self, info: Info, input: PublishProjectToProjectServerInput
    ) -> PublishProjectToProjectServerPayload:
        services = info.context.services
        try:
            published = await publish_project(services, actor(info), input.erp_id)
        except RefusalError as refusal:
            return PublishProjectToProjectServerPayload(
                project=None,
                coupling=None,
                tasks_created=0,
                message=None,
                user_errors=user_errors(refusal),
            )
        outcome = published.outcome
        documents = info.context.loaders.documents
        doc = await documents.found(
            info, documents.by_id(DocumentKind.PROJECT, "erp").load(outcome.erp_record.id)
        )
        run = published.tasks_run
        created = run.counters.inserted if run is not None else 0
        errors = [
            user_error(RefusalCode.INVALID_INPUT, f"activity {f.erp_id}: {f.message}")
            for f in published.task_failures
        ]
        return PublishProjectToProjectServerPayload(
            project=None if doc is None else Project.of(doc),
            coupling=Coupling.of(outcome.coupling),
            tasks_created=created,
            message=f"Published the project to Project Server with {created} tasks.",
            user_errors=errors,
        )
