"""Synchronization: planning writes from mappings, executing them, runs, errors and the log."""
