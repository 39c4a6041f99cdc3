"""Enterprise data outside projects: resources (`EnterpriseResources`) and enterprise custom
fields (`CustomFields`), and setting a custom field's value on a project, task or resource."""

from __future__ import annotations

from typing import Any

from sandbox.errors import ErrorKind, SandboxError
from sandbox.odata.values import now
from sandbox.projectserver import values as bodies
from sandbox.projectserver.errors import refusal
from sandbox.projectserver.state import ProjectServerState
from sandbox.projectserver.types import CREATION, CUSTOM, ENTITY_TYPES, RESOURCES

Doc = dict[str, Any]
_ENTITY_NAMES = {id: name for name, id in ENTITY_TYPES.items()}


async def custom_fields(state: ProjectServerState) -> list[Doc]:
    return await state["custom_fields"].find({}).sort("Name", 1).to_list()


async def add_custom_field(state: ProjectServerState, body: Doc) -> Doc:
    params = bodies.parameters(body, CREATION["CustomFields"], "CustomFieldCreationInformation")
    for name in ("Name", "FieldType", "EntityTypeId"):
        if params.get(name) is None:
            raise SandboxError(ErrorKind.BAD_PAYLOAD, f"The parameter '{name}' is required.")
    if params["EntityTypeId"] not in _ENTITY_NAMES:
        raise SandboxError(
            ErrorKind.REFERENCE_NOT_FOUND,
            f"The entity type '{params['EntityTypeId']}' does not exist: use one of "
            f"{', '.join(f'{n} ({i})' for n, i in ENTITY_TYPES.items())}.",
        )
    if await state["custom_fields"].find_one({"Name": params["Name"]}) is not None:
        raise refusal(
            "CustomFieldNameAlreadyExists",
            f"A custom field named '{params['Name']}' already exists.",
            ErrorKind.DUPLICATE,
        )
    field_id = bodies.new_id(params.get("Id"))
    doc = {
        "_id": field_id,
        "Id": field_id,
        "Name": params["Name"],
        "InternalName": bodies.internal_name(field_id),
        "FieldType": params["FieldType"],
        "Description": params.get("Description") or "",
        "IsRequired": bool(params.get("IsRequired")),
        "EntityType": _ENTITY_NAMES[params["EntityTypeId"]],
    }
    await state["custom_fields"].insert_one(doc)
    return doc


async def custom_field(state: ProjectServerState, internal_name: str, entity: str) -> Doc:
    """The custom field `internal_name` (`Custom_<hex>`) of `entity` (Project/Task/Resource)."""
    found = await state["custom_fields"].find_one({"InternalName": internal_name})
    if found is None:
        raise refusal(
            "CustomFieldInvalidUID",
            f"There is no custom field with the internal name '{internal_name}'.",
            ErrorKind.REFERENCE_NOT_FOUND,
        )
    if found["EntityType"] != entity:
        raise refusal(
            "CustomFieldInvalidTypeColumnFilter",
            f"The custom field '{found['Name']}' belongs to {found['EntityType']}, "
            f"not to {entity}.",
        )
    return found


async def set_custom_values(
    state: ProjectServerState, collection: str, doc: Doc, entity: str, values: Doc
) -> Doc:
    for name, value in values.items():
        field = await custom_field(state, name, entity)
        doc = await state.set_custom(collection, doc, name, bodies.custom_value(field, value))
    return doc


def set_custom_call(body: Doc) -> tuple[str, Any]:
    """The `FieldName` and `Value` of a `SetCustomFieldValue` call."""
    name = body.get("FieldName")
    if not isinstance(name, str) or not name:
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "The parameter 'FieldName' is required.")
    if "Value" not in body:
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "The parameter 'Value' is required.")
    return name, body["Value"]


# -- enterprise resources ------------------------------------------------------------------


async def resource(state: ProjectServerState, resource_id: str) -> Doc:
    found = await state["resources"].find_one({"_id": resource_id})
    if found is None:
        raise SandboxError(
            ErrorKind.NOT_FOUND, f"The resource with the id '{resource_id}' does not exist."
        )
    return found


async def add_resource(state: ProjectServerState, body: Doc) -> Doc:
    params = bodies.parameters(
        body, CREATION["EnterpriseResources"], "EnterpriseResourceCreationInformation"
    )
    if not params.get("Name"):
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "The parameter 'Name' is required.")
    if await state["resources"].find_one({"Name": params["Name"]}, {"_id": 1}) is not None:
        raise refusal(
            "ResourceNameAlreadyExists",
            f"A resource named '{params['Name']}' already exists.",
            ErrorKind.DUPLICATE,
        )
    resource_id = bodies.new_id(params.get("Id"))
    if await state["resources"].find_one({"_id": resource_id}, {"_id": 1}) is not None:
        raise refusal(
            "GeneralItemAlreadyExists",
            f"A resource with the id '{resource_id}' already exists.",
            ErrorKind.DUPLICATE,
        )
    stamp = now()
    doc = {
        "_id": resource_id,
        "Id": resource_id,
        "Name": params["Name"],
        "Code": params.get("Code"),
        "Email": params.get("Email"),
        "ResourceType": params.get("ResourceType") or 2,
        "IsActive": not params.get("IsInactive", False),
        "IsGeneric": bool(params.get("IsGeneric")),
        "IsBudget": bool(params.get("IsBudget")),
        "CostCenter": None,
        "Group": None,
        "Created": stamp,
        "Modified": stamp,
        CUSTOM: {},
    }
    await state["resources"].insert_one(doc)
    return doc


async def update_resource(state: ProjectServerState, doc: Doc, body: Doc) -> Doc:
    changes, custom = bodies.properties(body, RESOURCES, "EnterpriseResource")
    for name in custom:  # check every custom field before the first write
        await custom_field(state, name, "Resource")
    if "Name" in changes and changes["Name"] != doc["Name"]:
        clash = await state["resources"].find_one({"Name": changes["Name"]}, {"_id": 1})
        if clash is not None:
            raise refusal(
                "ResourceNameAlreadyExists",
                f"A resource named '{changes['Name']}' already exists.",
                ErrorKind.DUPLICATE,
            )
    doc = await set_custom_values(state, "resources", doc, "Resource", custom)
    return await state.set("resources", doc, {**changes, "Modified": now()})
