"""Synchronization: keeping coupled records of the ERP and the CRM in step.

One engine does every write; the entry points differ only in which records they hand it and
how (a side's changes to merge, or coupled pairs to push in a chosen direction).

Entry points (each a recorded `SyncRun`, each checked by `running.usable_mapping`):

    full.py          runFullSynchronization: every record, stage by stage, from a checkpoint
    incremental.py   a scheduled run: each side's changes since its token, then due retries
    now.py           synchronizeNow for one pair; bulk_now.py for up to 1,000 (a worker job)
    retry.py         retrySyncError: one failed record again, on a person's request
    retrying.py      which failed records a scheduled run takes up again, and when

The engine, for one batch of one mapping:

    engine.py        SyncEngine.apply(side, records) merges; .push(direction, pairs) forces
    conflicts.py     plan_merge: who changed what since `synced_values`, conflict policies
    plan.py          plan_push / plan_create: what to write in a chosen direction
    creation.py      uncoupled records: couple an existing counterpart (key, derived id) or
                     plan its creation; matching.py finds counterparts by key or by id
    writes.py        one bulk write per system, then settle each pair from the answers
    backfill.py      values a new record got from its system go back to its source
    batch.py         what a batch gathers before it is recorded: work, failures, log, counters

Around it:

    context.py       SyncContext: both connectors, the couplings, the log, the actor
    pairs.py         create-and-couple one record now; the coupled-record and log shapes
    running.py       the usable-mapping guard, the mapping lease, the recorded run

Data flow of a batch (a constant number of round trips, whatever its size):

    records of one side ─┐
                         ├─ couplings (1 query) ─ counterparts (1 read) ─ lookups (1/row)
    or coupled pairs ────┘        │
                          plan_merge / plan_push / plan_create (pure)
                                  │
                write_many per system ─ settle ─ couplings, sync errors, log (1 write each)
"""
