"""Why the gateway refused to do something, in the words of the API (`UserErrorCode`).

Every service raises `RefusalError` for an expected failure (an unknown mapping, a record that is
not coupled, a state that does not admit the transition, a system that did not answer),
before it writes anything or after undoing what it wrote, naming the input field at fault.
The GraphQL layer turns a refusal into `userErrors` in one line; jobs decide on a retry by
its code. One refusal may carry several problems (both records of a pair missing, say).

Connector errors reach here one way: `connector_error` finds one wherever it comes from (raised
directly or wrapped in the exception group of a task group), and `refusal_for` says what it
means to the caller.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import ParamSpec, Protocol, TypeVar

from adapters.errors import ConflictError, ConnectorError, NotFoundError, RetriableError
from adapters.errors import ValidationError as RefusedDataError
from adapters.systems import system_label

P = ParamSpec("P")
R = TypeVar("R")


class RefusalCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    ALREADY_COUPLED = "ALREADY_COUPLED"
    NOT_COUPLED = "NOT_COUPLED"
    DEPENDENCY_NOT_COUPLED = "DEPENDENCY_NOT_COUPLED"
    CONFLICT = "CONFLICT"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class Problem:
    code: RefusalCode
    message: str
    field: tuple[str, ...] = ()


class RefusalError(Exception):
    """An expected failure; nothing was left half done. `states` holds the documents' states
    a lifecycle check saw ({"crm": ..., "erp": ...}), when it got that far."""

    def __init__(self, *problems: Problem, states: dict[str, str] | None = None) -> None:
        if not problems:
            raise ValueError("a refusal needs at least one problem")
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = list(problems)
        self.states = states

    @property
    def code(self) -> RefusalCode:
        return self.problems[0].code

    @property
    def message(self) -> str:
        return "; ".join(problem.message for problem in self.problems)

    @property
    def field(self) -> tuple[str, ...]:
        return self.problems[0].field


def refuse(
    code: RefusalCode, message: str, *field: str, states: dict[str, str] | None = None
) -> RefusalError:
    return RefusalError(Problem(code, message, field), states=states)


class Untranslated(Protocol):
    """A field row whose value could not be carried across (`RowProblem`)."""

    @property
    def message(self) -> str: ...

    @property
    def dependency(self) -> str | None: ...


def untranslatable(problems: Sequence[Untranslated], *field: str) -> RefusalError:
    """Values that cannot be carried across; a reference not coupled yet is told first,
    since coupling it is what the caller must do."""
    dependencies = [problem for problem in problems if problem.dependency]
    code = RefusalCode.DEPENDENCY_NOT_COUPLED if dependencies else RefusalCode.INVALID_INPUT
    return refuse(code, (dependencies or list(problems))[0].message, *field)


def connector_error(exc: BaseException) -> ConnectorError | None:
    """The connector's error in `exc`: itself, or the first one inside an exception group."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = connector_error(inner)
            if found is not None:
                return found
    return None


@contextlib.contextmanager
def unwrapped_connector_errors() -> Iterator[None]:
    """Connectors read in concurrent tasks and may fail with a group of their errors: raise
    the first one instead (the others are the same failure of the same system); a group
    holding anything else goes up unchanged."""
    try:
        yield
    except BaseExceptionGroup as group:
        matched, rest = group.split(ConnectorError)
        first = connector_error(matched) if matched is not None else None
        if first is None or rest is not None:
            raise
        raise first from group


def plain_errors(function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`unwrapped_connector_errors` around a whole coroutine function."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unwrapped_connector_errors():
            return await function(*args, **kwargs)

    return wrapper


def code_for(error: ConnectorError) -> RefusalCode:
    if isinstance(error, ConflictError):
        return RefusalCode.CONFLICT
    if isinstance(error, NotFoundError):
        return RefusalCode.NOT_FOUND
    if isinstance(error, RefusedDataError):
        return RefusalCode.INVALID_INPUT
    # Retriable errors, and fatal ones such as bad credentials: the system cannot be used now.
    return RefusalCode.UPSTREAM_UNAVAILABLE


def refusal_for(error: ConnectorError, doing: str | None = None, *field: str) -> RefusalError:
    """What a connector's failure means to the caller. With `doing` ("read customer 42"),
    the message says it in a person's words, naming the system and never a URL or a
    credential; without, it is the connector's own one-line message."""
    code = code_for(error)
    if doing is None:
        return refuse(code, str(error), *field)
    name = system_label(error.system)
    if code is RefusalCode.CONFLICT:
        message = f"{doing}: the record changed in {name} meanwhile; read it again and retry"
    elif code is RefusalCode.NOT_FOUND:
        message = f"{doing}: not found in {name}"
    elif code is RefusalCode.INVALID_INPUT:
        message = f"{doing}: {name} refused the data: {error.message}"
    else:
        status = f" ({error.status})" if error.status else ""
        retry = "retry later" if isinstance(error, RetriableError) else "check the connection"
        message = f"{doing}: {name} did not answer{status}; nothing was changed, {retry}"
    return refuse(code, message, *field)
