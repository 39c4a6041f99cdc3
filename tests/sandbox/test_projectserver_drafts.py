"""Project Server's draft cycle over HTTP: check-out, draft tasks with their hierarchy, queue
jobs, publish, forced check-in, and a project checked out by a person."""

from __future__ import annotations

from tests.sandbox.projectserver import ProjectServerClient, projectserver_client
from tests.support_sandbox import SandboxHandle


async def _tree(ps: ProjectServerClient, project_id: str) -> dict[str, str]:
    """Phase → work package → two tasks; returns ids by name."""
    phase = await ps.add_task(project_id, Name="Design")
    package = await ps.add_task(project_id, Name="Workshops", ParentId=phase["Id"])
    first = await ps.add_task(
        project_id,
        Name="Prepare",
        ParentId=package["Id"],
        Start="2026-03-02T08:00:00",
        Duration="3d",
    )
    second = await ps.add_task(project_id, Name="Hold", ParentId=package["Id"], Duration="2d")
    return {t["Name"]: t["Id"] for t in (phase, package, first, second)}


async def test_writes_need_the_request_digest(projectserver: ProjectServerClient) -> None:
    refused = await projectserver.http.post(
        "ProjectServer/Projects/Add", json={"parameters": {"Name": "No digest"}}
    )
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"].endswith("Microsoft.SharePoint.SPException")
    assert error["message"]["lang"] == "en-US"
    assert "security validation" in error["message"]["value"]
    forged = await projectserver.http.post(
        "ProjectServer/Projects/Add",
        json={"parameters": {"Name": "Forged"}},
        headers={"X-RequestDigest": "0xABC,01 Jan 2026 00:00:00 -0000"},
    )
    assert forged.status_code == 403
    listed = (await projectserver.get("ProjectServer/Projects")).json()["value"]
    assert all(p["Name"] not in ("No digest", "Forged") for p in listed)


async def test_a_published_draft_keeps_hierarchy_outline_and_order(
    projectserver: ProjectServerClient,
) -> None:
    project_id = await projectserver.create("Rollout A", Start="2026-03-02T08:00:00")
    draft = await projectserver.check_out(project_id)
    assert draft["IsCheckedOut"] is True
    ids = await _tree(projectserver, project_id)
    # A task added after "Prepare" lands between the two subtasks.
    await projectserver.add_task(project_id, Name="Review", AddAfterId=ids["Prepare"])
    assert await projectserver.tasks(project_id) == []  # nothing published yet
    job = await projectserver.publish(project_id)
    assert job["PercentComplete"] == 100
    tasks = await projectserver.tasks(project_id)
    shown = [(t["OutlinePosition"], t["Name"], t["OutlineLevel"], t["IsSummary"]) for t in tasks]
    assert shown == [
        ("1", "Design", 1, True),
        ("1.1", "Workshops", 2, True),
        ("1.1.1", "Prepare", 3, False),
        ("1.1.2", "Review", 3, False),
        ("1.1.3", "Hold", 3, False),
    ]
    parents = {t["Name"]: (t["Parent"] or {}).get("Name") for t in tasks}
    assert parents == {
        "Design": None,
        "Workshops": "Design",
        "Prepare": "Workshops",
        "Review": "Workshops",
        "Hold": "Workshops",
    }
    prepare = next(t for t in tasks if t["Name"] == "Prepare")
    assert (prepare["Start"], prepare["Finish"], prepare["Duration"]) == (
        "2026-03-02T08:00:00.000",
        "2026-03-04T17:00:00.000",
        "3d",
    )
    design = next(t for t in tasks if t["Name"] == "Design")
    assert design["Start"] == "2026-03-02T08:00:00.000"  # a summary spans its subtasks
    project = (await projectserver.get(f"ProjectServer/Projects('{project_id}')")).json()
    assert project["IsCheckedOut"] is False


async def test_draft_changes_are_published_only_by_publish(
    projectserver: ProjectServerClient,
) -> None:
    project_id = await projectserver.create("Rollout B")
    await projectserver.check_out(project_id)
    ids = await _tree(projectserver, project_id)
    await projectserver.publish(project_id, check_in=False)  # still checked out
    base = f"ProjectServer/Projects('{project_id}')/Draft/Tasks"
    await projectserver.ok(
        "MERGE", f"{base}('{ids['Prepare']}')", {"Name": "Prepare room", "PercentComplete": 50}
    )
    # Re-parent "Hold" directly under the phase.
    await projectserver.ok("PATCH", f"{base}('{ids['Hold']}')", {"ParentId": ids["Design"]})
    published = {t["Name"] for t in await projectserver.tasks(project_id)}
    assert "Prepare" in published
    assert "Prepare room" not in published
    draft = {t["Name"]: t for t in await projectserver.tasks(project_id, draft=True)}
    assert draft["Prepare room"]["PercentComplete"] == 50
    assert draft["Hold"]["OutlinePosition"] == "1.2"
    await projectserver.publish(project_id)
    tasks = {t["Name"]: t for t in await projectserver.tasks(project_id)}
    assert tasks["Prepare room"]["PercentComplete"] == 50
    assert (tasks["Hold"]["OutlineLevel"], tasks["Hold"]["Parent"]["Name"]) == (2, "Design")


async def test_forced_check_in_drops_unsaved_and_keeps_saved_changes(
    projectserver: ProjectServerClient,
) -> None:
    project_id = await projectserver.create("Rollout C")
    await projectserver.check_out(project_id)
    await projectserver.add_task(project_id, Name="Saved")
    job = await projectserver.ok("POST", f"ProjectServer/Projects('{project_id}')/Draft/update()")
    await projectserver.wait(project_id, job)
    await projectserver.add_task(project_id, Name="Unsaved")
    # Checked out by us and left: checking out again is refused in this session's name ...
    again = await projectserver.write("POST", f"ProjectServer/Projects('{project_id}')/checkOut()")
    assert again.status_code == 400
    assert "CICOCheckedOutInOtherSession" in again.json()["error"]["message"]["value"]
    # ... until a forced check-in releases it.
    job = await projectserver.ok(
        "POST", f"ProjectServer/Projects('{project_id}')/Draft/checkIn(true)"
    )
    await projectserver.wait(project_id, job)
    await projectserver.check_out(project_id)
    assert [t["Name"] for t in await projectserver.tasks(project_id, draft=True)] == ["Saved"]
    assert await projectserver.tasks(project_id) == []  # saved, never published


async def test_a_project_checked_out_by_a_person_refuses_edits(
    projectserver: ProjectServerClient, sandbox: SandboxHandle
) -> None:
    project_id = await projectserver.create("Rollout D")
    await sandbox.check_out_as(project_id, "alice@contoso.example", "Alice Planner")
    project = (
        await projectserver.get(
            f"ProjectServer/Projects('{project_id}')", **{"$expand": "CheckedOutBy"}
        )
    ).json()
    assert project["IsCheckedOut"] is True
    assert project["CheckedOutBy"]["Title"] == "Alice Planner"
    for method, path, body in (
        ("POST", f"ProjectServer/Projects('{project_id}')/checkOut()", None),
        (
            "POST",
            f"ProjectServer/Projects('{project_id}')/Draft/Tasks/Add",
            {"parameters": {"Name": "X"}},
        ),
        ("POST", f"ProjectServer/Projects('{project_id}')/Draft/publish(true)", None),
        ("POST", f"ProjectServer/Projects('{project_id}')/Draft/checkIn(false)", None),
    ):
        refused = await projectserver.write(method, path, body)
        assert refused.status_code == 400, (path, refused.text)
        error = refused.json()["error"]
        assert error["code"].endswith("Microsoft.ProjectServer.PJClientCallableException")
        assert "CICOCheckedOutToOtherUser" in error["message"]["value"]
        assert "Alice Planner" in error["message"]["value"]
    await sandbox.check_in_as_person(project_id)
    await projectserver.check_out(project_id)
    await projectserver.add_task(project_id, Name="After Alice")
    await projectserver.publish(project_id)
    assert [t["Name"] for t in await projectserver.tasks(project_id)] == ["After Alice"]


async def test_queue_jobs_wait_while_the_queue_is_paused(
    projectserver: ProjectServerClient, sandbox: SandboxHandle
) -> None:
    project_id = await projectserver.create("Rollout E")
    await projectserver.check_out(project_id)
    await projectserver.add_task(project_id, Name="Queued")
    await sandbox.pause_projectserver_queue(True)
    job = await projectserver.ok(
        "POST", f"ProjectServer/Projects('{project_id}')/Draft/publish(true)"
    )
    assert job["JobState"] == 1  # ReadyForProcessing
    waiting = (
        await projectserver.get(f"ProjectServer/Projects('{project_id}')/QueueJobs('{job['Id']}')")
    ).json()
    assert waiting["JobState"] == 1
    assert await projectserver.tasks(project_id) == []
    await sandbox.pause_projectserver_queue(False)
    await projectserver.wait(project_id, job)
    assert [t["Name"] for t in await projectserver.tasks(project_id)] == ["Queued"]


async def test_custom_field_values_on_draft_project_and_task(
    projectserver: ProjectServerClient,
) -> None:
    fields = {
        f["Name"]: f
        for f in (await projectserver.get("ProjectServer/CustomFields")).json()["value"]
    }
    cost, company = fields["ERP Actual Cost"]["InternalName"], fields["ERP Company"]["InternalName"]
    project_id = await projectserver.create("Rollout F")
    await projectserver.check_out(project_id)
    task = await projectserver.add_task(project_id, Name="Costed")
    base = f"ProjectServer/Projects('{project_id}')/Draft"
    await projectserver.ok(
        "POST", f"{base}/SetCustomFieldValue", {"FieldName": company, "Value": "CRONUS"}
    )
    await projectserver.ok(
        "POST",
        f"{base}/Tasks('{task['Id']}')/SetCustomFieldValue",
        {"FieldName": cost, "Value": 1250.5},
    )
    wrong = await projectserver.write(
        "POST",
        f"{base}/Tasks('{task['Id']}')/SetCustomFieldValue",
        {"FieldName": company, "Value": "x"},
    )
    assert wrong.status_code == 400
    assert "belongs to Project" in wrong.text
    bad = await projectserver.write(
        "POST",
        f"{base}/Tasks('{task['Id']}')/SetCustomFieldValue",
        {"FieldName": cost, "Value": "lots"},
    )
    assert bad.status_code == 400
    assert "ERP Actual Cost" in bad.text
    await projectserver.publish(project_id)
    project = (await projectserver.get(f"ProjectServer/Projects('{project_id}')")).json()
    assert project[company] == "CRONUS"
    [published] = await projectserver.tasks(project_id)
    assert published[cost] == 1250.5


async def test_verbose_json_and_unknown_properties(sandbox: SandboxHandle) -> None:
    async with projectserver_client(sandbox, accept="application/json;odata=verbose") as ps:
        info = (await ps.http.post("contextinfo")).json()
        assert info["d"]["GetContextWebInformation"]["FormDigestTimeoutSeconds"] == 1800
        ps._digest = info["d"]["GetContextWebInformation"]["FormDigestValue"]
        created = await ps.ok(
            "POST", "ProjectServer/Projects/Add", {"parameters": {"Name": "Verbose"}}
        )
        assert created["d"]["__metadata"]["type"] == "PS.PublishedProject"
        listed = (await ps.get("ProjectServer/Projects")).json()
        assert [p["Name"] for p in listed["d"]["results"]] == ["Verbose"]
        unknown = await ps.write(
            "POST", "ProjectServer/Projects/Add", {"parameters": {"Name": "Y", "Colour": "red"}}
        )
        assert unknown.status_code == 400
        assert "'Colour' does not exist on type 'PS.ProjectCreationInformation'" in unknown.text
