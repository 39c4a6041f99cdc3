"""Project Server's reporting feed, enterprise resources, demo data, tokens and faults."""

from __future__ import annotations

import httpx

from tests.sandbox.projectserver import ProjectServerClient
from tests.support_sandbox import SandboxHandle


async def _published(ps: ProjectServerClient, name: str, tasks: list[str]) -> str:
    project_id = await ps.create(name)
    await ps.check_out(project_id)
    for task in tasks:
        await ps.add_task(project_id, Name=task)
    await ps.publish(project_id)
    return project_id


async def test_the_feed_filters_on_modified_dates_and_shows_only_what_changed(
    projectserver: ProjectServerClient,
) -> None:
    project_id = await _published(projectserver, "Feed A", ["One", "Two", "Three"])
    rows = (
        await projectserver.get(
            "ProjectData/Tasks", **{"$filter": f"ProjectId eq guid'{project_id}'"}
        )
    ).json()["value"]
    assert sorted(r["TaskName"] for r in rows) == ["One", "Three", "Two"]
    mark = max(r["TaskModifiedDate"] for r in rows)
    # Rename one task and publish: only its row gets a new modified date.
    await projectserver.check_out(project_id)
    two = next(r for r in rows if r["TaskName"] == "Two")
    await projectserver.ok(
        "MERGE",
        f"ProjectServer/Projects('{project_id}')/Draft/Tasks('{two['TaskId']}')",
        {"Name": "Two b"},
    )
    await projectserver.publish(project_id)
    changed = (
        await projectserver.get(
            "ProjectData/Tasks", **{"$filter": f"TaskModifiedDate gt datetime'{mark}'"}
        )
    ).json()["value"]
    assert [r["TaskName"] for r in changed] == ["Two b"]
    project = (await projectserver.get(f"ProjectData/Projects(guid'{project_id}')")).status_code
    assert project == 404  # rows are read through the collection and $filter
    projects = (
        await projectserver.get(
            "ProjectData/Projects", **{"$filter": f"ProjectModifiedDate gt datetime'{mark}'"}
        )
    ).json()["value"]
    assert [p["ProjectName"] for p in projects] == ["Feed A"]


async def test_the_feed_pages_with_next_links(projectserver: ProjectServerClient) -> None:
    await _published(projectserver, "Feed B", [f"Task {n:03d}" for n in range(130)])
    first = (await projectserver.get("ProjectData/Tasks", **{"$orderby": "TaskIndex"})).json()
    assert len(first["value"]) == 100
    assert "odata.nextLink" in first
    second = (await projectserver.http.get(first["odata.nextLink"])).json()
    assert len(second["value"]) == 30
    assert "odata.nextLink" not in second
    names = [r["TaskName"] for r in first["value"] + second["value"]]
    assert names == [f"Task {n:03d}" for n in range(130)]
    bad = await projectserver.get("ProjectData/Tasks", **{"$filter": "Colour eq 'red'"})
    assert bad.status_code == 400
    assert "Colour" in bad.json()["error"]["message"]["value"]


async def test_enterprise_resources_add_update_deactivate(
    projectserver: ProjectServerClient,
) -> None:
    added = await projectserver.ok(
        "POST",
        "ProjectServer/EnterpriseResources/Add",
        {"parameters": {"Name": "Omar Said", "Code": "R-0042", "Email": "omar@contoso.example"}},
    )
    assert added["IsActive"] is True
    duplicate = await projectserver.write(
        "POST", "ProjectServer/EnterpriseResources/Add", {"parameters": {"Name": "Omar Said"}}
    )
    assert duplicate.status_code == 400
    assert "ResourceNameAlreadyExists" in duplicate.text
    path = f"ProjectServer/EnterpriseResources('{added['Id']}')"
    await projectserver.ok("PATCH", path, {"Email": "omar.said@contoso.example", "IsActive": False})
    current = (await projectserver.get(path)).json()
    assert (current["Email"], current["IsActive"]) == ("omar.said@contoso.example", False)
    rows = (
        await projectserver.get(
            "ProjectData/Resources", **{"$filter": "ResourceName eq 'Omar Said'"}
        )
    ).json()
    assert rows["value"][0]["ResourceIsActive"] is False
    project_id = await projectserver.create("Feed C")
    await projectserver.check_out(project_id)
    task = await projectserver.add_task(project_id, Name="Needs Omar")
    refused = await projectserver.write(
        "POST",
        f"ProjectServer/Projects('{project_id}')/Draft/Assignments/Add",
        {"parameters": {"TaskId": task["Id"], "ResourceId": added["Id"]}},
    )
    assert refused.status_code == 400
    assert "ResourceInactive" in refused.text


async def test_demo_data_has_three_level_trees_with_assignments(
    projectserver: ProjectServerClient, sandbox: SandboxHandle
) -> None:
    written = await sandbox.seed_projectserver(projects=2, tasks=12, resources=4)
    assert written["written"] == {"projects": 2, "tasks": 24, "resources": 4}
    projects = (await projectserver.get("ProjectServer/Projects")).json()["value"]
    assert len(projects) == 2
    tasks = await projectserver.tasks(projects[0]["Id"])
    assert max(t["OutlineLevel"] for t in tasks) == 3
    assert {t["OutlineLevel"] for t in tasks if t["IsSummary"]} == {1, 2}
    assignments = (
        await projectserver.get(
            f"ProjectServer/Projects('{projects[0]['Id']}')/Assignments", **{"$expand": "Resource"}
        )
    ).json()["value"]
    assert assignments
    assert all(a["Resource"]["Name"] for a in assignments)


async def test_tokens_and_faults_apply_to_project_server(
    projectserver: ProjectServerClient, sandbox: SandboxHandle
) -> None:
    async with httpx.AsyncClient(base_url=sandbox.projectserver_api) as anonymous:
        refused = await anonymous.get("ProjectServer/Projects")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"].endswith("System.UnauthorizedAccessException")
    await sandbox.set_faults(fail_next={"count": 1, "status": 503}, apis=["projectserver"])
    failed = await projectserver.get("ProjectServer/Projects")
    assert failed.status_code == 503
    assert (await projectserver.get("ProjectServer/Projects")).status_code == 200
    await sandbox.set_faults(
        throttle={"limit": 1, "retry_after_seconds": 7}, apis=["projectserver"]
    )
    await projectserver.get("ProjectServer/Projects")
    throttled = await projectserver.get("ProjectServer/Projects")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "7"
    stats = await sandbox.stats()
    assert stats["faults"]["projectserver"] == {"429": 1, "503": 1}
