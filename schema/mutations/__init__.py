"""Mutation fields, one module per domain area; `schema.build_schema` merges them."""
