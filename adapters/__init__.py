"""Connectors to external systems. Nothing here imports from the rest of the project."""
