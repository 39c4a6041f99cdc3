"""Request digests: `POST _api/contextinfo` hands out a `FormDigestValue` that every
state-changing request must carry as `X-RequestDigest`, as SharePoint demands. A digest is
bound to the client it was issued to and expires after `FormDigestTimeoutSeconds`."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

TIMEOUT_SECONDS = 1800


class Digests:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"sandbox-form-digest:" + secret.encode()).digest()

    def _sign(self, client: str, stamp: str) -> str:
        return hmac.new(self._key, f"{client}|{stamp}".encode(), hashlib.sha256).hexdigest()

    def issue(self, client: str, at: dt.datetime | None = None) -> str:
        stamp = (at or dt.datetime.now(dt.UTC)).strftime("%d %b %Y %H:%M:%S -0000")
        return f"0x{self._sign(client, stamp).upper()},{stamp}"

    def valid(self, client: str, digest: str | None, at: dt.datetime | None = None) -> bool:
        if not digest or "," not in digest:
            return False
        signature, _, stamp = digest.strip().partition(",")
        expected = "0x" + self._sign(client, stamp).upper()
        if not hmac.compare_digest(signature, expected):
            return False
        try:
            issued = dt.datetime.strptime(stamp, "%d %b %Y %H:%M:%S -0000").replace(tzinfo=dt.UTC)
        except ValueError:
            return False
        age = ((at or dt.datetime.now(dt.UTC)) - issued).total_seconds()
        return 0 <= age <= TIMEOUT_SECONDS
