"""`$filter`: parsed by odata-query's grammar, translated from its AST to a MongoDB filter.

The translation keeps conjunctions flat (`{a: 1, b: {$gt: 2}}` rather than `$and`) and turns
disjunctions of equalities on one property into `$in`, because both forms are far cheaper on
the server than the general `$and` / `$or` operators. String functions match case-insensitively,
as Dataverse and Business Central do with their default collations.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from odata_query import ast
from odata_query.exceptions import ODataException, ParsingException, TokenizingException
from odata_query.grammar import ODataLexer, ODataParser

from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import Field
from sandbox.odata.values import from_literal, now

MongoFilter = dict[str, Any]
# A property path ("name", "parentaccountid/accountid") to its field and storage column.
Resolver = Callable[[str], tuple[Field, str]]

_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
_OPERATORS = {ast.NotEq: "$ne", ast.Lt: "$lt", ast.LtE: "$lte", ast.Gt: "$gt", ast.GtE: "$gte"}
_COMPLEMENT = {
    "$ne": "$eq",
    "$eq": "$ne",
    "$lt": "$gte",
    "$gte": "$lt",
    "$gt": "$lte",
    "$lte": "$gt",
    "$in": "$nin",
    "$nin": "$in",
}


def parse(text: str) -> ast._Node:
    """Parse a `$filter` expression; a syntax error names the position, as Dataverse does."""
    try:
        tree: ast._Node = ODataParser().parse(ODataLexer().tokenize(_brackets_to_parens(text)))
        return tree
    except (TokenizingException, ParsingException) as exc:
        token = exc.token
        position = getattr(token, "index", None) if token is not None else None
        where = f"at position {position} " if position is not None else ""
        raise SandboxError(ErrorKind.BAD_QUERY, f"Syntax error {where}in '{text}'.") from None
    except ODataException as exc:
        raise SandboxError(ErrorKind.BAD_QUERY, f"{exc} in '{text}'.") from None


def _brackets_to_parens(text: str) -> str:
    """Dataverse query functions take JSON-style lists (`PropertyValues=['a','b']`), which the
    OData grammar spells with parentheses; rewrite brackets outside string literals."""
    out: list[str] = []
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
        out.append({"[": "(", "]": ")"}.get(char, char) if not quoted else char)
    return "".join(out)


def translate(node: ast._Node, resolve: Resolver) -> MongoFilter:
    return _Translator(resolve).visit(node)


def merge(left: MongoFilter, right: MongoFilter) -> MongoFilter:
    """AND two filters, flat where the keys allow it."""
    result = dict(left)
    extra: list[MongoFilter] = []
    for key, value in right.items():
        if key not in result:
            result[key] = value
            continue
        mine = result[key]
        if (
            not key.startswith("$")
            and _is_operators(mine)
            and _is_operators(value)
            and not set(mine) & set(value)
        ):
            result[key] = {**mine, **value}
        else:
            extra.append({key: value})
    if extra:
        return {"$and": [result, *extra]}
    return result


def _is_operators(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(k.startswith("$") for k in value)


def negate(expr: MongoFilter) -> MongoFilter:
    if len(expr) == 1:
        ((key, value),) = expr.items()
        if not key.startswith("$"):
            if not isinstance(value, dict):
                return {key: {"$ne": value}}
            if len(value) == 1:
                ((operator, operand),) = value.items()
                if operator in _COMPLEMENT:
                    return {key: {_COMPLEMENT[operator]: operand}}
                if operator == "$regex":
                    return {key: {"$not": {"$regex": operand}}}
            if set(value) == {"$regex", "$options"}:
                return {key: {"$not": value}}
    return {"$nor": [expr]}


def _either(left: MongoFilter, right: MongoFilter) -> MongoFilter:
    """OR two filters; equalities on one property become `$in`."""
    values_left, values_right = _equality_values(left), _equality_values(right)
    if values_left is not None and values_right is not None and values_left[0] == values_right[0]:
        merged = list(dict.fromkeys([*values_left[1], *values_right[1]]))
        return {values_left[0]: {"$in": merged}}
    branches = [
        *(left["$or"] if set(left) == {"$or"} else [left]),
        *(right["$or"] if set(right) == {"$or"} else [right]),
    ]
    return {"$or": branches}


def _equality_values(expr: MongoFilter) -> tuple[str, list[Any]] | None:
    if len(expr) != 1:
        return None
    ((key, value),) = expr.items()
    if key.startswith("$"):
        return None
    if not isinstance(value, dict):
        return key, [value]
    if set(value) == {"$in"}:
        return key, list(value["$in"])
    return None


class _Translator:
    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve

    def visit(self, node: ast._Node) -> MongoFilter:
        if isinstance(node, ast.BoolOp):
            left, right = self.visit(node.left), self.visit(node.right)
            return merge(left, right) if isinstance(node.op, ast.And) else _either(left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return negate(self.visit(node.operand))
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Identifier | ast.Attribute):
            field, column = self._property(node)
            return {column: from_literal(field, ast.Boolean("true"))}
        if isinstance(node, ast.Boolean):
            return {} if node.py_val else {"_id": {"$exists": False}}
        raise _unsupported(node)

    def _property(self, node: ast._Node) -> tuple[Field, str]:
        if isinstance(node, ast.Identifier) and not node.namespace:
            return self._resolve(node.name)
        if isinstance(node, ast.Attribute) and isinstance(node.owner, ast.Identifier):
            return self._resolve(f"{node.owner.name}/{node.attr}")
        raise _unsupported(node)

    def _compare(self, node: ast.Compare) -> MongoFilter:
        comparator, left, right = node.comparator, node.left, node.right
        if _is_property(right) and not _is_property(left):
            left, right = right, left
            flipped = _FLIP.get(type(comparator))
            comparator = flipped() if flipped is not None else comparator
        field, column = self._property(left)
        if isinstance(comparator, ast.In):
            items = right.val if isinstance(right, ast.List) else [right]
            return {column: {"$in": [from_literal(field, item) for item in items]}}
        if not isinstance(right, ast._Literal) or isinstance(right, ast.List):
            raise _unsupported(right)
        value = from_literal(field, right)
        if isinstance(comparator, ast.Eq):
            return {column: value}
        return {column: {_OPERATORS[type(comparator)]: value}}

    def _call(self, node: ast.Call) -> MongoFilter:
        name = node.func.name
        namespace = ".".join(node.func.namespace)
        if not namespace and name in ("contains", "startswith", "endswith"):
            return self._string_function(name, node.args)
        if namespace == "Microsoft.Dynamics.CRM":
            return self._query_function(name, node.args)
        raise SandboxError(
            ErrorKind.NOT_SUPPORTED,
            f"The function '{'.'.join((*node.func.namespace, name))}' is not supported by this "
            "service.",
        )

    def _string_function(self, name: str, args: list[ast._Node]) -> MongoFilter:
        if len(args) != 2 or not isinstance(args[1], ast.String):
            raise SandboxError(
                ErrorKind.BAD_QUERY, f"The function '{name}' takes a property and a string."
            )
        _field, column = self._property(args[0])
        text = re.escape(args[1].val)
        pattern = {"contains": text, "startswith": f"^{text}", "endswith": f"{text}$"}[name]
        return {column: {"$regex": pattern, "$options": "i"}}

    def _query_function(self, name: str, args: list[ast._Node]) -> MongoFilter:
        params = {arg.name.name: arg.param for arg in args if isinstance(arg, ast.NamedParam)}
        prop = params.get("PropertyName")
        if not isinstance(prop, ast.String):
            raise SandboxError(
                ErrorKind.BAD_QUERY,
                f"The query function 'Microsoft.Dynamics.CRM.{name}' requires PropertyName.",
            )
        field, column = self._resolve(prop.val)
        raw = params.get("PropertyValues", params.get("PropertyValue"))
        items: list[ast._Node] = (
            list(raw.val) if isinstance(raw, ast.List) else ([] if raw is None else [raw])
        )
        if name in ("LastXDays", "LastXHours", "NextXDays"):
            return self._relative_time(name, column, items)
        values = [from_literal(field, item) for item in items]
        if name in ("In", "NotIn"):
            return {column: {"$in" if name == "In" else "$nin": values}}
        if name in ("Between", "NotBetween") and len(values) == 2:
            between = {column: {"$gte": values[0], "$lte": values[1]}}
            return between if name == "Between" else {"$nor": [between]}
        if name in ("OnOrAfter", "OnOrBefore") and len(values) == 1:
            return {column: {"$gte" if name == "OnOrAfter" else "$lte": values[0]}}
        raise SandboxError(
            ErrorKind.NOT_SUPPORTED,
            f"The query function 'Microsoft.Dynamics.CRM.{name}' is not supported by this service.",
        )

    def _relative_time(self, name: str, column: str, items: list[ast._Node]) -> MongoFilter:
        if len(items) != 1 or not isinstance(items[0], ast.Integer):
            raise SandboxError(
                ErrorKind.BAD_QUERY, f"The query function '{name}' takes one integer PropertyValue."
            )
        amount = int(items[0].val)
        unit = dt.timedelta(hours=amount) if name == "LastXHours" else dt.timedelta(days=amount)
        current = now()
        if name == "NextXDays":
            return {column: {"$gte": current, "$lte": current + unit}}
        return {column: {"$gte": current - unit, "$lte": current}}


def _is_property(node: ast._Node) -> bool:
    return isinstance(node, ast.Identifier | ast.Attribute) and not (
        isinstance(node, ast.Identifier) and node.namespace
    )


def _unsupported(node: ast._Node) -> SandboxError:
    return SandboxError(
        ErrorKind.NOT_SUPPORTED,
        f"The expression '{type(node).__name__}' is not supported in $filter by this service.",
    )
