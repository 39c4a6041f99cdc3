"""MongoDB access: the client, the collections and their indexes."""

from gateway.store.database import connect_mongo, ensure_indexes, ping_mongo
from gateway.store.indexes import COLLECTION_INDEXES

__all__ = ["COLLECTION_INDEXES", "connect_mongo", "ensure_indexes", "ping_mongo"]
