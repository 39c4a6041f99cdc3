"""Demo project accounting for Business Central: resources, and for each project an activity
tree three levels deep (phases and work packages as Begin-Total/End-Total ranges, posting
tasks below them) with posted hours and expenses."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sandbox.model import COMPANY

if TYPE_CHECKING:
    from sandbox.seed.generator import Generator, Record

PHASES = ("Initiation", "Design", "Build", "Deployment")
PACKAGES = ("Requirements", "Workshops", "Configuration", "Training")
LEDGER_LINES_PER_PROJECT = 4
RESOURCE_NAMES = (
    "Lina Berg",
    "Marco Rossi",
    "Nora Smith",
    "Omar Aziz",
    "Pia Jansen",
    "Quentin Roy",
    "Rosa Diaz",
    "Sven Holm",
)


def resources(gen: Generator) -> Iterator[Record]:
    rng = gen.rng("resources")
    for index in range(gen.sizes["resources"]):
        number = gen.numbers.bc("resources")
        name = RESOURCE_NAMES[index % len(RESOURCE_NAMES)]
        if index >= len(RESOURCE_NAMES):
            name += f" {index // len(RESOURCE_NAMES) + 1}"
        cost = float(rng.choice([45, 55, 65, 80, 95]))
        gen.workers.append((number, name, cost))
        yield (
            "bc",
            "resources",
            {
                "_id": gen.new_id(rng),
                "number": number,
                "displayName": name,
                "type": "Person",
                "baseUnitOfMeasure": "HOUR",
                "unitCost": cost,
                "unitPrice": round(cost * 1.6, 2),
                "blocked": False,
                **gen.bc_time(rng),
            },
        )


def tree(gen: Generator, rng: random.Random, project: dict[str, Any]) -> Iterator[Record]:
    """Two phases of two work packages of two posting tasks; hours posted on some of them."""
    postings: list[str] = []
    start = project["lastModifiedDateTime"].date()

    def task(
        number: str, description: str, kind: str, indentation: int, parent: str | None
    ) -> Record:
        return (
            "bc",
            "projectTasks",
            {
                "_id": gen.new_id(rng),
                "projectId": project["_id"],
                "projectNumber": project["number"],
                "taskNumber": number,
                "description": description,
                "taskType": kind,
                "indentation": indentation,
                "parentTaskNumber": parent,
                "startDate": start.isoformat() if kind == "Posting" else None,
                "endDate": start.isoformat() if kind == "Posting" else None,
                "percentComplete": float(rng.choice([0, 0, 25, 50, 100]))
                if kind == "Posting"
                else 0.0,
                **gen.bc_time(rng),
            },
        )

    for phase_index, phase in enumerate(PHASES[:2], start=1):
        phase_number = f"{phase_index}000"
        yield task(phase_number, phase, "Begin-Total", 0, None)
        for package_index, package in enumerate(PACKAGES[:2], start=1):
            package_number = f"{phase_index}{package_index}00"
            yield task(package_number, package, "Begin-Total", 1, phase_number)
            for posting in (1, 2):
                number = f"{phase_index}{package_index}{posting}0"
                postings.append(number)
                yield task(number, f"{package} step {posting}", "Posting", 2, package_number)
            yield task(
                f"{phase_index}{package_index}99", f"Total {package}", "End-Total", 1, phase_number
            )
        yield task(f"{phase_index}999", f"Total {phase}", "End-Total", 0, None)
    for _ in range(LEDGER_LINES_PER_PROJECT):
        yield ledger_entry(gen, rng, project, rng.choice(postings))


def ledger_entry(
    gen: Generator, rng: random.Random, project: dict[str, Any], task_number: str
) -> Record:
    entry = gen.numbers.next("projectLedgerEntries")
    if gen.workers and rng.random() < 0.75:
        number, name, cost = rng.choice(gen.workers)
        kind, quantity, description = "Resource", float(rng.choice([2, 4, 6, 8])), name
    else:
        number, cost, kind, quantity = "6610", float(rng.choice([35, 120, 240])), "G/L Account", 1.0
        description = "Travel expenses"
    return (
        "bc",
        "projectLedgerEntries",
        {
            "_id": gen.new_id(rng),
            COMPANY: project[COMPANY],
            "entryNumber": entry,
            "projectId": project["_id"],
            "projectNumber": project["number"],
            "taskNumber": task_number,
            "type": kind,
            "number": number,
            "description": description,
            "quantity": quantity,
            "unitCost": cost,
            "totalCost": round(quantity * cost, 2),
            "unitPrice": 0.0,
            "totalPrice": 0.0,
            "postingDate": project["lastModifiedDateTime"].date().isoformat(),
            "documentNumber": f"J{entry:06d}",
            "lastModifiedDateTime": project["lastModifiedDateTime"],
        },
    )
