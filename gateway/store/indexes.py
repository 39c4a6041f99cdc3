"""Every collection of the gateway and its indexes, in one place.

Indexes are created at start-up, idempotently (`ensure_indexes`). A collection's module may
add to its own entry here; unique indexes are how the store keeps promises under concurrency.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

COLLECTION_INDEXES: dict[str, list[IndexModel]] = {
    "couplings": [
        IndexModel([("mapping", ASCENDING), ("erp.id", ASCENDING)], unique=True, name="erp_id"),
        IndexModel([("mapping", ASCENDING), ("crm.id", ASCENDING)], unique=True, name="crm_id"),
        IndexModel([("mapping", ASCENDING), ("state", ASCENDING)], name="state"),
        IndexModel([("mapping", ASCENDING), ("created_at", DESCENDING)], name="created"),
    ],
    "table_mappings": [
        IndexModel([("name", ASCENDING)], unique=True, name="name"),
    ],
    "job_queue_entries": [
        IndexModel([("mapping", ASCENDING)], unique=True, name="mapping"),
        IndexModel([("next_run_at", ASCENDING)], name="next_run_at"),
    ],
    "sync_runs": [
        IndexModel([("mapping", ASCENDING), ("started_at", DESCENDING)], name="mapping_started"),
        IndexModel([("status", ASCENDING)], name="status"),
        IndexModel([("mappings", ASCENDING), ("_id", DESCENDING)], name="mappings"),
    ],
    "sync_errors": [
        IndexModel([("mapping", ASCENDING), ("created_at", DESCENDING)], name="mapping_created"),
        IndexModel([("run_id", ASCENDING)], name="run_id"),
        IndexModel([("mapping", ASCENDING), ("record", ASCENDING)], unique=True, name="record"),
        IndexModel([("mapping", ASCENDING), ("erp_id", ASCENDING)], name="erp_id"),
        IndexModel([("mapping", ASCENDING), ("crm_id", ASCENDING)], name="crm_id"),
        IndexModel([("mapping", ASCENDING), ("updated_at", ASCENDING)], name="mapping_updated"),
    ],
    # One page of a full synchronization shared by the workers (`_id`: run:stage:seq).
    "run_partitions": [
        IndexModel([("run_id", ASCENDING), ("stage", ASCENDING), ("seq", ASCENDING)], name="run"),
    ],
    # One document per lease (`_id` is its name): who holds it and until when.
    "leases": [],
    "integration_log": [
        IndexModel([("at", DESCENDING)], name="at"),
        IndexModel([("target.id", ASCENDING), ("_id", DESCENDING)], name="target"),
        IndexModel([("details.mapping", ASCENDING), ("_id", DESCENDING)], name="mapping"),
        IndexModel([("operation", ASCENDING), ("_id", DESCENDING)], name="operation"),
    ],
    "workflow_instances": [
        IndexModel([("key", ASCENDING)], unique=True, name="key"),
        IndexModel([("base_key", ASCENDING), ("generation", DESCENDING)], name="generations"),
        IndexModel([("status", ASCENDING), ("lease_until", ASCENDING)], name="leases"),
        IndexModel([("operation", ASCENDING), ("_id", DESCENDING)], name="operation"),
    ],
    # One watermark per background scan of lifecycle documents (`_id` is the scan's name).
    "workflow_scans": [],
    "api_keys": [
        IndexModel([("hash", ASCENDING)], unique=True, name="hash"),
        IndexModel([("name", ASCENDING)], unique=True, name="name"),
    ],
}
