"""The job queue: one entry per table mapping that runs it every few minutes, goes on hold
when there is nothing to do, and can be paused; and background runs on arq that survive the
loss of a worker or of Redis.

MongoDB holds the truth (`job_queue_entries`, `sync_runs`); Redis only carries the work.
The scheduler's tick (`scheduler.Scheduler`) claims due entries atomically, stores their runs
QUEUED, enqueues them under ids derived from the run, and re-enqueues whatever MongoDB says is
waiting but Redis lost. A worker runs a stored run (`execution.execute_run`) while holding the
run's lease, so a run whose worker died is taken over once the lease expires.
"""
