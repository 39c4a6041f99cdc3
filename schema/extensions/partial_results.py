"""Errors of systems that did not answer, added to a response whose fields still answered.

A hop of documents that fails leaves its side's fields null or its lists empty rather than
failing the fields around it (`schema.document_loaders`); the hop's one error is collected
during execution and added here to the response's `errors`, beside those of the fields.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from schema.context import Context


class PartialResults(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if not isinstance(context, Context) or result is None:
            return
        loaders = context.__dict__.get("loaders")  # only if the request made them
        documents = loaders.__dict__.get("documents") if loaders is not None else None
        if documents is None or not documents.errors:
            return
        result.errors = [*(result.errors or []), *documents.errors]
