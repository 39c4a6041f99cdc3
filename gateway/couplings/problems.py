"""Why a coupling operation was refused, in the API's words (`UserErrorCode` names), with the
input field at fault. Raised before anything is written, or after undoing what was."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import ParamSpec, TypeVar

from adapters.errors import ConflictError, ConnectorError, NotFoundError, ValidationError

P = ParamSpec("P")
R = TypeVar("R")


class ProblemCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    ALREADY_COUPLED = "ALREADY_COUPLED"
    NOT_COUPLED = "NOT_COUPLED"
    DEPENDENCY_NOT_COUPLED = "DEPENDENCY_NOT_COUPLED"
    CONFLICT = "CONFLICT"
    INVALID_INPUT = "INVALID_INPUT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class Problem:
    code: ProblemCode
    message: str
    field: tuple[str, ...] = ()


class CouplingRefusedError(Exception):
    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = list(problems)


def refuse(code: ProblemCode, message: str, *field: str) -> CouplingRefusedError:
    return CouplingRefusedError(Problem(code, message, tuple(field)))


SYSTEM_NAMES = {
    "dataverse": "Dynamics 365 Sales",
    "business_central": "Business Central",
    "tryton": "Tryton",
}


def system_name(system: str) -> str:
    return SYSTEM_NAMES.get(system, system)


def upstream_problem(error: ConnectorError, doing: str, *field: str) -> Problem:
    """A connector's failure as the caller's problem; the message names the system and what
    was being done, never a URL or a credential."""
    name = system_name(error.system)
    if isinstance(error, ConflictError):
        return Problem(
            ProblemCode.CONFLICT,
            f"{doing}: the record changed in {name} meanwhile; read it again and retry",
            field,
        )
    if isinstance(error, NotFoundError):
        return Problem(ProblemCode.NOT_FOUND, f"{doing}: not found in {name}", field)
    if isinstance(error, ValidationError):
        return Problem(
            ProblemCode.INVALID_INPUT, f"{doing}: {name} refused the data: {error.message}", field
        )
    status = f" ({error.status})" if error.status else ""
    return Problem(
        ProblemCode.UPSTREAM_UNAVAILABLE,
        f"{doing}: {name} did not answer{status}; nothing was changed, retry later",
        field,
    )


def _first_connector_error(group: BaseExceptionGroup[BaseException]) -> ConnectorError | None:
    for error in group.exceptions:
        if isinstance(error, ConnectorError):
            return error
        if isinstance(error, BaseExceptionGroup):
            found = _first_connector_error(error)
            if found is not None:
                return found
    return None


@contextlib.contextmanager
def connector_errors() -> Iterator[None]:
    """Connectors read in concurrent tasks and may fail with a group of `ConnectorError`s;
    callers here want one: the first, the others being the same failure of the same system."""
    try:
        yield
    except BaseExceptionGroup as group:
        matched, rest = group.split(ConnectorError)
        first = _first_connector_error(matched) if matched is not None else None
        if first is None or rest is not None:
            raise
        raise first from group


def plain_errors(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`connector_errors` around a whole coroutine function."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with connector_errors():
            return await function(*args, **kwargs)

    return wrapper
