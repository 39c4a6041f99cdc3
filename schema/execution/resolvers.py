"""A strawberry field's value without strawberry's per-call wrapper, where that changes nothing.

Strawberry gives every field a resolver for graphql-core that, on each call, builds the
field's `Info`, converts the arguments, binds `self`/`root`/`parent`/`info` to the resolver's
parameters, runs the field extensions and calls `field.get_result`. For the two kinds of
field below, most of that is known once the schema is built and does nothing at run time:

- a "basic" field (no resolver, no extensions): the wrapper calls `field.get_result(source,
  None, [], {})`, which reads the attribute with the configured default resolver (`getattr`);
- a field with a synchronous resolver and no arguments, extensions or exception handlers:
  the wrapper builds the `Info` and calls the resolver (through `field.get_result`) with the
  source bound as the resolver asks for it.

Each function answers None for any other field: graphql-core then calls strawberry's wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import GraphQLField, GraphQLResolveInfo, GraphQLSchema
from strawberry.schema.config import StrawberryConfig
from strawberry.types.field import StrawberryField

# Where strawberry keeps its definition of a graphql-core field (and of the schema).
STRAWBERRY_DEFINITION = "strawberry-definition"

Read = Callable[[Any], Any]
Resolve = Callable[[Any, "GraphQLResolveInfo[Any]"], Any]


def strawberry_config(schema: GraphQLSchema) -> StrawberryConfig | None:
    """The configuration of the strawberry schema behind `schema`, or None if there is none or
    it has exception handlers (they give every field a wrapper of their own)."""
    strawberry_schema = (schema.extensions or {}).get(STRAWBERRY_DEFINITION)
    config = getattr(strawberry_schema, "config", None)
    if not isinstance(config, StrawberryConfig):
        return None
    return None if getattr(strawberry_schema, "exception_handlers", None) else config


def _strawberry_field(field_def: GraphQLField) -> StrawberryField | None:
    definition = (field_def.extensions or {}).get(STRAWBERRY_DEFINITION)
    return definition if isinstance(definition, StrawberryField) else None


def plain_read(field_def: GraphQLField) -> Read | None:
    """How to read a basic field's value from its source, or None."""
    field = _strawberry_field(field_def)
    resolve = field_def.resolve
    if (
        field is None
        or not field.is_basic_field
        or resolve is None
        or not getattr(resolve, "_is_default", False)  # strawberry's own resolver
    ):
        return None
    if type(field).get_result is not StrawberryField.get_result:
        return lambda source: resolve(source, None)  # reads the value its own way
    default_resolver, name = field.default_resolver, field.python_name
    if default_resolver is getattr:
        return attrgetter(name)
    return lambda source: default_resolver(source, name)


def direct_resolve(field_def: GraphQLField, config: StrawberryConfig) -> Resolve | None:
    """A call of a synchronous resolver without arguments or extensions, as strawberry's
    wrapper makes it, or None."""
    field = _strawberry_field(field_def)
    if field is None or field.base_resolver is None or not field_def.resolve:
        return None
    if field.is_async or field.extensions or field.arguments or field_def.args:
        return None
    if type(field).get_result is not StrawberryField.get_result:
        return None  # a field class that calls its resolver its own way
    # `field.get_result(source, info, args, kwargs)` is `resolver(*args, **kwargs)`, and
    # calling the resolver calls its function once it is known to be callable.
    resolver = field.base_resolver
    function = resolver.wrapped_func
    if not callable(function):
        return None  # strawberry's wrapper raises its own error for it
    with_self = resolver.self_parameter is not None
    source_names = tuple(
        parameter.name
        for parameter in (resolver.parent_parameter, resolver.root_parameter)
        if parameter is not None
    )
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None
    info_class = config.info_class

    if with_self and not source_names and info_name is not None:
        # The common case (a method reading `self` and `info`): no other parameter to bind.
        def resolve_with_info(source: Any, raw_info: GraphQLResolveInfo[Any]) -> Any:
            return function(source, **{info_name: info_class(_raw_info=raw_info, _field=field)})

        return resolve_with_info

    def resolve(source: Any, raw_info: GraphQLResolveInfo[Any]) -> Any:
        kwargs: dict[str, Any] = {}
        for name in source_names:
            kwargs[name] = source
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=raw_info, _field=field)
        return function(source, **kwargs) if with_self else function(**kwargs)

    return resolve
