"""Reading pages of records: the query plan that keeps every page cheap on the server.

MongoDB-compatible servers differ a lot in what they push into an index scan. The embedded
server used by tests and `gateway dev` answers a range that is bounded on both sides of one
index quickly, in time proportional to the documents in the range, while an open-ended range
with a limit, a sort or a large `$in` costs time proportional to everything that matches. So:

- `seq`: the default order walks the creation sequence (`_seq`) in windows `(lo, hi]` whose
  width adapts to the density of matches seen so far; each page costs about one window.
- `time`: ordering by a system timestamp, or filtering from a lower bound on one (the
  watermark of an incremental sync), walks that timestamp in windows the same way.
- `keys`: ordering by the key (keyset paging: `$filter=id gt <last>&$orderby=id`) walks the
  key space in windows on a copy of the key, `_key` (ranges on `_id` itself are not cheap):
  keys are random GUIDs, spread evenly over their first eight hex digits.
- `key`: a filter with an equality or `$in` on a selective property (a key, a number, an
  e-mail) matches few records: fetch them all (large `$in` lists in chunks) and sort here.
- `offset`: anything else is sorted by the server and paged with skip/limit.

The position between pages is a small dict that the APIs wrap into their opaque paging tokens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from sandbox.model import KEY, SEQ
from sandbox.odata.filter import MongoFilter, merge

Doc = dict[str, Any]
Cursor = dict[str, Any]

IN_CHUNK = 50  # `$in` lists longer than this are split into several queries
_RANGE = frozenset({"$gt", "$gte", "$lt", "$lte"})
_TIME_FLOOR = dt.datetime(1900, 1, 1)
_FIRST_TIME_WINDOW = dt.timedelta(minutes=1)
_FIRST_OPEN_TIME_WINDOW = dt.timedelta(days=1)
_KEY_DIGITS = 8
_KEY_SPACE: int = 16**_KEY_DIGITS  # key windows are ranges of a GUID's first eight hex digits


@dataclass(frozen=True)
class PageQuery:
    collection: AsyncCollection[Doc]
    filter: MongoFilter
    order: list[tuple[str, int]]
    size: int
    projection: dict[str, int] | None
    time_columns: frozenset[str]
    selective_columns: frozenset[str]
    max_seq: int


async def read_page(
    query: PageQuery, cursor: Cursor | None = None
) -> tuple[list[Doc], Cursor | None]:
    """One page of at most `query.size` records and the position of the next page, if any."""
    plan = cursor["p"] if cursor else choose_plan(query)
    if plan == "key":
        return await _key_page(query, cursor)
    if plan == "seq":
        return await _seq_page(query, cursor)
    if plan == "keys":
        return await _keys_page(query, cursor)
    if plan == "time":
        column = cursor["c"] if cursor else _time_column(query)
        assert column is not None
        return await _time_page(query, column, cursor)
    return await _offset_page(query, cursor)


def choose_plan(query: PageQuery) -> str:
    if _has_selective_match(query.filter, query.selective_columns) or _large_in(query.filter):
        return "key"
    if _time_column(query) is not None:
        return "time"
    if query.order == [("_id", 1)] and _range_only(query.filter, "_id"):
        return "keys"
    return "seq" if not query.order else "offset"


async def find_all(
    collection: AsyncCollection[Doc], mongo_filter: MongoFilter, projection: dict[str, int] | None
) -> list[Doc]:
    """Every match of a filter, splitting a large top-level `$in` into several queries."""
    for column, condition in mongo_filter.items():
        if (
            not column.startswith("$")
            and isinstance(condition, dict)
            and set(condition) == {"$in"}
            and len(condition["$in"]) > IN_CHUNK
        ):
            values = list(condition["$in"])
            chunks = [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]
            parts = await asyncio.gather(
                *(
                    collection.find({**mongo_filter, column: {"$in": chunk}}, projection).to_list()
                    for chunk in chunks
                )
            )
            found: dict[Any, Doc] = {}
            for part in parts:
                for doc in part:
                    found[doc["_id"]] = doc
            return list(found.values())
    return await collection.find(mongo_filter, projection).to_list()


async def count(
    collection: AsyncCollection[Doc], mongo_filter: MongoFilter, cap: int | None
) -> int:
    if cap is None:
        return await collection.count_documents(mongo_filter)
    return await collection.count_documents(mongo_filter, limit=cap)


def sort_docs(docs: list[Doc], order: Iterable[tuple[str, int]]) -> None:
    """Sort in place like the server would: nulls first ascending, ties by creation order."""
    docs.sort(key=lambda doc: doc.get(SEQ, 0))
    for column, direction in reversed(list(order)):
        docs.sort(key=_key_of(column), reverse=direction < 0)


def _key_of(column: str) -> Callable[[Doc], tuple[bool, Any]]:
    def key(doc: Doc) -> tuple[bool, Any]:
        return _sort_key(doc.get(column))

    return key


def _sort_key(value: Any) -> tuple[bool, Any]:
    if isinstance(value, str):
        return (True, value.lower())
    return (value is not None, value)


def _with_seq(projection: dict[str, int] | None, *extra: str) -> dict[str, int] | None:
    if projection is None:
        return None
    return {**projection, SEQ: 1, **dict.fromkeys(extra, 1)}


def _has_selective_match(mongo_filter: MongoFilter, selective: frozenset[str]) -> bool:
    for column, condition in mongo_filter.items():
        if column == "$and":
            if any(_has_selective_match(part, selective) for part in condition):
                return True
            continue
        if column not in selective:
            continue
        if not isinstance(condition, dict) or "$in" in condition or "$eq" in condition:
            return True
    return False


def _large_in(mongo_filter: MongoFilter) -> bool:
    return any(
        isinstance(condition, dict)
        and isinstance(condition.get("$in"), list)
        and len(condition["$in"]) > IN_CHUNK
        for column, condition in mongo_filter.items()
        if not column.startswith("$")
    )


def _time_column(query: PageQuery) -> str | None:
    if len(query.order) == 1:
        column, direction = query.order[0]
        if direction > 0 and column in query.time_columns and _range_only(query.filter, column):
            return column
        return None
    if query.order:
        return None
    for column in query.time_columns:
        condition = query.filter.get(column)
        if (
            isinstance(condition, dict)
            and _range_only(query.filter, column)
            and {"$gt", "$gte"} & set(condition)
        ):
            return column
    return None


def _range_only(mongo_filter: MongoFilter, column: str) -> bool:
    condition = mongo_filter.get(column)
    if condition is None:
        return True
    return isinstance(condition, dict) and bool(condition) and set(condition) <= _RANGE


async def _key_page(query: PageQuery, cursor: Cursor | None) -> tuple[list[Doc], Cursor | None]:
    columns = [column for column, _ in query.order]
    docs = await find_all(query.collection, query.filter, _with_seq(query.projection, *columns))
    sort_docs(docs, query.order)
    offset = int(cursor["o"]) if cursor else 0
    page = docs[offset : offset + query.size]
    more = len(docs) > offset + query.size
    return page, ({"p": "key", "o": offset + query.size} if more else None)


async def _offset_page(query: PageQuery, cursor: Cursor | None) -> tuple[list[Doc], Cursor | None]:
    offset = int(cursor["o"]) if cursor else 0
    columns = [column for column, _ in query.order]
    found = (
        await query.collection.find(query.filter, _with_seq(query.projection, *columns))
        .sort([*query.order, (SEQ, 1)])
        .skip(offset)
        .limit(query.size + 1)
        .to_list()
    )
    more = len(found) > query.size
    return found[: query.size], ({"p": "offset", "o": offset + query.size} if more else None)


async def _seq_page(query: PageQuery, cursor: Cursor | None) -> tuple[list[Doc], Cursor | None]:
    need = query.size + 1
    lo = int(cursor["s"]) if cursor else -1
    window = float(cursor["w"]) if cursor else query.size * 1.25 + 8
    projection = _with_seq(query.projection)
    collected: list[Doc] = []
    scanned = 0.0
    while len(collected) < need and lo < query.max_seq:
        hi = min(query.max_seq, lo + max(1, int(window)))
        batch = await query.collection.find(
            merge(query.filter, {SEQ: {"$gt": lo, "$lte": hi}}), projection
        ).to_list()
        batch.sort(key=lambda doc: doc[SEQ])
        collected.extend(batch)
        scanned += hi - lo
        lo = hi
        window = _next_window(window, need - len(collected), len(collected), scanned)
    if len(collected) <= query.size:
        return collected, None
    page = collected[: query.size]
    density = len(collected) / scanned if scanned else 1.0
    next_window = query.size * 1.2 / density + 8 if density > 0 else window
    return page, {"p": "seq", "s": page[-1][SEQ], "w": next_window}


def _next_window(window: float, missing: int, found: int, scanned: float) -> float:
    if missing <= 0:
        return window
    if found == 0:
        return window * 2
    density = found / scanned
    return min(window * 8, max(missing / density * 1.2 + 8, 1.0))


async def _time_page(
    query: PageQuery, column: str, cursor: Cursor | None
) -> tuple[list[Doc], Cursor | None]:
    need = query.size + 1
    base = {key: value for key, value in query.filter.items() if key != column}
    bounds = query.filter.get(column) or {}
    upper = min(
        (value for op, value in bounds.items() if op in ("$lt", "$lte")),
        default=None,
    )
    upper_inclusive = "$lte" in bounds and bounds["$lte"] == upper and "$lt" not in bounds
    horizon = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    end = min(upper, horizon) if upper is not None else horizon
    if cursor:
        lo = dt.datetime.fromisoformat(cursor["t"])
        inclusive, tie_seq = True, int(cursor["s"])
        window = dt.timedelta(milliseconds=float(cursor["w"]))
    else:
        lower = max(
            ((value, op) for op, value in bounds.items() if op in ("$gt", "$gte")),
            default=None,
            key=lambda item: item[0],
        )
        lo = lower[0] if lower else _TIME_FLOOR
        inclusive = lower is None or lower[1] == "$gte"
        tie_seq = None
        window = _FIRST_TIME_WINDOW if lower else _FIRST_OPEN_TIME_WINDOW
    projection = _with_seq(query.projection, column)
    collected: list[Doc] = []
    scanned = dt.timedelta(0)
    while len(collected) < need and lo <= end:
        hi = min(end, lo + window)
        closing = "$lte" if hi < end or upper is None or upper_inclusive else "$lt"
        condition = {("$gte" if inclusive else "$gt"): lo, closing: hi}
        batch = await query.collection.find(merge(base, {column: condition}), projection).to_list()
        if tie_seq is not None:
            batch = [d for d in batch if not (d.get(column) == lo and d[SEQ] <= tie_seq)]
            tie_seq = None
        batch.sort(key=lambda doc: (doc.get(column), doc[SEQ]))
        collected.extend(batch)
        scanned += hi - lo
        if hi >= end:
            break
        lo, inclusive = hi, False
        missing = need - len(collected)
        if missing > 0:
            if not collected:
                window *= 2
            else:
                per_doc = scanned / len(collected)
                window = min(window * 8, max(per_doc * missing * 1.2, dt.timedelta(seconds=1)))
    if len(collected) <= query.size:
        return collected, None
    page = collected[: query.size]
    last = page[-1]
    per_doc = scanned / max(len(collected), 1)
    next_window = max(per_doc * query.size * 1.2, dt.timedelta(seconds=1))
    return page, {
        "p": "time",
        "c": column,
        "t": last[column].isoformat(),
        "s": last[SEQ],
        "w": next_window / dt.timedelta(milliseconds=1),
    }


def _key_position(key: str) -> int:
    """Where a key lies in the key space (keys that are no GUIDs sort as they can)."""
    head = key[:_KEY_DIGITS].ljust(_KEY_DIGITS, "0")
    try:
        return min(int(head, 16), _KEY_SPACE)
    except ValueError:
        return 0 if head < "0" else _KEY_SPACE


async def _keys_page(query: PageQuery, cursor: Cursor | None) -> tuple[list[Doc], Cursor | None]:
    need = query.size + 1
    base = {key: value for key, value in query.filter.items() if key != "_id"}
    bounds = query.filter.get("_id") or {}
    upper = {op: value for op, value in bounds.items() if op in ("$lt", "$lte")}
    if cursor:
        after, inclusive = str(cursor["k"]), False
        window = float(cursor["w"])
    else:
        lower = [(str(value), op) for op, value in bounds.items() if op in ("$gt", "$gte")]
        after, operator = max(lower) if lower else ("", "$gte")
        inclusive = operator == "$gte"
        window = (query.size * 1.25 + 8) * _KEY_SPACE / max(query.max_seq, 1)
    limit = min((_key_position(str(v)) for v in upper.values()), default=_KEY_SPACE)
    projection = _with_seq(query.projection, KEY)
    position = _key_position(after)
    collected: list[Doc] = []
    scanned = 0.0
    while len(collected) < need and position <= limit:
        end = position + max(1, int(window))
        condition: dict[str, Any] = {("$gte" if inclusive else "$gt"): after, **upper}
        if end < _KEY_SPACE:
            condition["$lt"] = min(f"{end:0{_KEY_DIGITS}x}", str(upper.get("$lt", "~")))
        batch = await query.collection.find(merge(base, {KEY: condition}), projection).to_list()
        batch.sort(key=lambda doc: str(doc["_id"]))
        collected.extend(batch)
        scanned += end - position
        if end >= _KEY_SPACE:
            break
        position, after, inclusive = end, f"{end:0{_KEY_DIGITS}x}", True
        window = _next_window(window, need - len(collected), len(collected), scanned)
    if len(collected) <= query.size:
        return collected, None
    page = collected[: query.size]
    density = len(collected) / scanned if scanned else 1.0
    next_window = (query.size * 1.2 + 8) / density if density > 0 else window
    return page, {"p": "keys", "k": page[-1]["_id"], "w": next_window}
