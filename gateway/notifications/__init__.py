"""Near-real-time synchronization: the systems push their changes, the gateway carries them.

- `listeners`: which side listens (its setting is on and its connector can push), at which
  URL, and to which entities and fields (those of the enabled mappings reading that side).
- `store`: the secret of each side, its application user, and the subscriptions made
  (MongoDB), with when a notification last arrived.
- `subscriptions`: making, renewing and removing subscriptions (a worker's job, every minute
  and at start-up, when it also brings the notified mappings' next runs forward).
- `receiver`: `POST /hooks/<hook>`; authenticates each delivery (else 401, nothing queued),
  answers the validation handshake, leaves out the gateway's own writes where the system
  says who wrote, and only queues.
- `pending`: the queue (Redis): record ids per mapping and side, one coalesced job per
  mapping and window.
- `carry`: the job's work: exactly those records read with `get_many` and applied by the
  sync engine under the mapping's lease, a run with trigger `notification`.

The scheduled incremental run stays the safety net for whatever a notification did not bring.
"""
