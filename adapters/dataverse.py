"""Dynamics 365 Sales through the Dataverse Web API v9.2.

- Reads select the columns declared in `adapters.dataverse_entities` unless told otherwise.
- Lookups are read as `_x_value` and written as `x@odata.bind: "/<set>(<id>)"`: callers write
  `_x_value` (an id, or `<set>(<id>)` to pick the table of a polymorphic lookup) and this
  connector translates, so a field mapping names one field for both directions.
- Writes ask for the record back (`Prefer: return=representation`) and always send `If-Match`:
  the caller's ETag, or `*` so that a PATCH of a deleted row fails instead of re-creating it
  (a PATCH without `If-Match` is an upsert in Dataverse).
- `changes` uses change tracking (`Prefer: odata.track-changes`): the token is the next link
  of an unfinished read or the delta link of a finished one. A table without change tracking
  falls back to `modifiedon` watermarks (which cannot see deletions).
- `write_many` sends multipart `$batch` requests: independent requests with
  `Prefer: odata.continue-on-error`, or one change set when `atomic`.
- Change notifications: webhooks registered as steps on a service endpoint
  (`dataverse_webhooks`).
- `crm_statistics` counts open opportunities, quotes and cases for many accounts with
  `$apply=filter(...)/groupby(...,aggregate($count as count))`: one request per figure and
  chunk of ids, whatever the number of rows. Should the service refuse `$apply`, it counts a
  `$select` of the lookup column instead (one page of up to 5,000 rows per request).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from adapters.base import ChangeBatch, EntitySpec, Record, Side
from adapters.concurrency import run_concurrently
from adapters.dataverse_documents import DATAVERSE_DOCUMENTS
from adapters.dataverse_entities import CRM_STATISTICS, TABLES, OpenRecordCount, Table
from adapters.dataverse_transitions import (
    TRANSITIONS,
    Close,
    Convert,
    SetState,
    close_body,
    convert_body,
    state_body,
)
from adapters.dataverse_webhooks import DataverseWebhooks, support
from adapters.documents import Documents
from adapters.errors import ConnectorError, NotFoundError, ValidationError
from adapters.filters import And, Filter, In
from adapters.odata.batch import (
    BatchRequest,
    BatchResponse,
    build_multipart,
    parse_multipart,
    position,
)
from adapters.odata.client import ODataClient
from adapters.odata.connector import ConnectorLimits, ODataConnector, check_values
from adapters.odata.paging import ODataPage, fetch_page, iter_pages
from adapters.odata.query import chunk_ids, is_guid, render_filter, with_query
from adapters.statistics import CrmAccountStatistics
from adapters.systems import DATAVERSE

log = logging.getLogger(__name__)

API_PATH = "api/data/v9.2/"
NEXT, DELTA = "next:", "delta:"
LOOKUP_FIELD = re.compile(r"^_[a-z0-9_]+_value$")
REFERENCE = re.compile(r"^/?([A-Za-z_][A-Za-z0-9_]*)\(([0-9a-fA-F-]{36})\)$")
QUALIFIED_ACTION = re.compile(r"^Microsoft\.Dynamics\.CRM\.[A-Za-z_][A-Za-z0-9_]*$")


class DataverseConnector(DataverseWebhooks, ODataConnector):
    system = DATAVERSE
    label = "Dynamics 365 Sales"
    side = Side.CRM

    def __init__(
        self,
        client: ODataClient,
        *,
        tables: Mapping[str, Table] | None = None,
        limits: ConnectorLimits | None = None,
        owns_http: bool = False,
    ) -> None:
        self._tables = dict(tables or TABLES)
        super().__init__(
            client,
            {name: t.spec for name, t in self._tables.items()},
            limits=limits,
            owns_http=owns_http,
        )
        self._untracked: set[str] = set()  # tables found to have change tracking off
        self.notifications = support(self._specs)
        self._no_apply = False  # the service refused $apply once

    # ---- hooks ----------------------------------------------------------------------------------

    async def base_currency_id(self) -> str | None:
        """The organization's base currency (one of its transaction currencies)."""
        data = await self.client.get_json(
            "organizations?$select=_basecurrencyid_value", doing="read the organization"
        )
        found = data.get("value") or []
        currency = found[0].get("_basecurrencyid_value") if found else None
        return str(currency) if currency else None

    async def collection_url(self, spec: EntitySpec) -> str:
        return self.client.url(spec.native_name)

    def default_fields(self, spec: EntitySpec) -> list[str] | None:
        return sorted(spec.fields) or None

    def is_guid_field(self, spec: EntitySpec, name: str) -> bool:
        return name == spec.key_field or bool(LOOKUP_FIELD.match(name))

    def write_headers(self) -> dict[str, str]:
        return {"Prefer": "return=representation"}

    def write_params(self, spec: EntitySpec) -> list[tuple[str, str]]:
        return self.select(spec, None)

    async def if_match(self, spec: EntitySpec, id: str, etag: str | None) -> str | None:
        return etag or "*"

    def to_wire(
        self, spec: EntitySpec, values: Mapping[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        lookups = self._tables[spec.name].lookups
        for name, value in check_values(
            spec, values, system=self.system, creating=creating
        ).items():
            lookup = lookups.get(name)
            if lookup is None:
                if LOOKUP_FIELD.match(name):
                    known = ", ".join(sorted(lookups)) or "none"
                    raise ValidationError(
                        f"{spec.name}.{name} is not a lookup this connector can write "
                        f"(writable lookups: {known})",
                        system=self.system,
                    )
                body[name] = value
                continue
            navigation, reference = self.bind(spec, name, lookup.targets, value)
            body[f"{navigation}@odata.bind"] = reference
        return body

    def bind(
        self, spec: EntitySpec, name: str, targets: Mapping[str, str], value: Any
    ) -> tuple[str, str | None]:
        default_target, default_navigation = next(iter(targets.items()))
        if value is None:
            return default_navigation, None
        if not isinstance(value, str):
            raise ValidationError(
                f"{spec.name}.{name} must be an id, not {type(value).__name__}", system=self.system
            )
        if is_guid(value):
            return default_navigation, f"/{self._tables[default_target].spec.native_name}({value})"
        match = REFERENCE.match(value)
        if match:
            for target, navigation in targets.items():
                if self._tables[target].spec.native_name == match.group(1):
                    return navigation, f"/{match.group(1)}({match.group(2)})"
        allowed = ", ".join(self._tables[t].spec.native_name for t in targets)
        raise ValidationError(
            f"{spec.name}.{name}: {value!r} is neither an id nor a reference to {allowed}",
            system=self.system,
        )

    def batch_url(self, url: str) -> str:
        return self.client.url(url)

    async def send_batch(
        self, requests: Sequence[BatchRequest], *, atomic: bool
    ) -> list[BatchResponse | None]:
        content_type, body = build_multipart(requests, atomic=atomic)
        headers = {"Content-Type": content_type}
        if not atomic:
            headers["Prefer"] = "odata.continue-on-error"
        response = await self.client.send(
            "POST",
            "$batch",
            doing=f"write {len(requests)} records in a batch",
            content=body,
            headers=headers,
            replay_safe=all(r.method != "POST" for r in requests),
            keep_error=lambda r: r.headers.get("Content-Type", "").startswith("multipart/mixed"),
        )
        answers = parse_multipart(response.headers.get("Content-Type", ""), response.content)
        if len(answers) == len(requests):
            return list(answers)
        return self.unmatched(requests, answers, atomic=atomic)

    def unmatched(
        self, requests: Sequence[BatchRequest], answers: list[BatchResponse], *, atomic: bool
    ) -> list[BatchResponse | None]:
        """Fewer answers than requests: a change set that failed (one error stands for all,
        nothing applied) or a batch that stopped at its first error."""
        failure = next((a for a in answers if a.status >= 400), None)
        if not atomic or failure is None:
            return [*answers, *([None] * (len(requests) - len(answers)))][: len(requests)]
        culprit = position(failure.content_id)
        results: list[BatchResponse | None] = []
        for index in range(len(requests)):
            if index == culprit or culprit < 0:
                results.append(failure)
            else:
                results.append(
                    BatchResponse(
                        status=424,  # Failed Dependency: rolled back with the change set
                        headers={},
                        body=b'{"error":{"code":"RolledBack","message":"not applied: another '
                        b'operation of the same change set failed"}}',
                    )
                )
        return results

    # ---- changes --------------------------------------------------------------------------------

    async def changes(
        self, entity: str, token: str | None, *, page_size: int = 500
    ) -> AsyncIterator[ChangeBatch]:
        spec = self.spec(entity)
        tracked = spec.change_tracking and spec.name not in self._untracked
        resumable = token is not None and token.startswith((NEXT, DELTA))
        if not resumable and (token is not None or not tracked):
            changes = self.watermark_changes(spec, token, page_size=page_size)
        else:
            changes = self.tracked_changes(spec, token, page_size=page_size)
        async for batch in changes:
            yield batch

    async def tracked_changes(
        self, spec: EntitySpec, token: str | None, *, page_size: int
    ) -> AsyncIterator[ChangeBatch]:
        """Change tracking: an initial read (every row, then a delta link) or a delta read."""
        url: str | None = await self.start_url(spec, token)
        initial = token is None
        while url is not None:
            try:
                page = await fetch_page(
                    self.client,
                    url,
                    doing=f"read {spec.name} changes",
                    page_size=page_size,
                    track_changes=True,
                )
            except ConnectorError as error:
                if initial and not_tracked(error):
                    page = None
                elif token and expired(error):
                    log.warning(
                        "%s: the %s change token expired; reading every row again",
                        self.system,
                        spec.name,
                    )
                    async for batch in self.tracked_changes(spec, None, page_size=page_size):
                        yield batch
                    return
                else:
                    raise
            ignored = (
                initial
                and page is not None
                and not (page.tracking or page.delta_link or page.next_link)
            )
            if page is None or ignored or (page.next_link is None and page.delta_link is None):
                # The table does not track changes (refused, ignored, or stopped mid-read).
                async for batch in self.untracked(spec, page_size):
                    yield batch
                return
            initial = False
            upserts, deleted = self.split(spec, page)
            if page.next_link:
                yield ChangeBatch(upserts, deleted, NEXT + page.next_link, False)
            else:
                yield ChangeBatch(upserts, deleted, DELTA + str(page.delta_link), True)
            url = page.next_link

    async def start_url(self, spec: EntitySpec, token: str | None) -> str:
        if token is None:
            return with_query(await self.collection_url(spec), self.select(spec, None))
        for prefix in (NEXT, DELTA):
            if token.startswith(prefix) and self.client.owns(token[len(prefix) :]):
                return token[len(prefix) :]
        raise ValidationError(
            f"{token[:40]!r} is not a {spec.name} change token of this connector",
            system=self.system,
        )

    async def untracked(self, spec: EntitySpec, page_size: int) -> AsyncIterator[ChangeBatch]:
        log.warning(
            "%s: change tracking is off for %s; using modifiedon watermarks", self.system, spec.name
        )
        self._untracked.add(spec.name)
        async for batch in self.watermark_changes(spec, None, page_size=page_size):
            yield batch

    def split(self, spec: EntitySpec, page: ODataPage) -> tuple[list[Record], list[str]]:
        upserts: list[Record] = []
        deleted: list[str] = []
        for value in page.values:
            context = str(value.get("@odata.context", ""))
            if context.endswith("$deletedEntity") or "@removed" in value:
                removed = (
                    value.get("id") or value.get(spec.key_field) or entity_ref(value.get("@id"))
                )
                if removed:
                    deleted.append(str(removed))
            else:
                upserts.append(self.record(spec, value))
        return upserts, deleted

    # ---- documents ------------------------------------------------------------------------------

    def documents(self) -> Documents:
        return DATAVERSE_DOCUMENTS

    # ---- statistics -----------------------------------------------------------------------------

    async def crm_statistics(self, account_ids: Sequence[str]) -> dict[str, CrmAccountStatistics]:
        ids = list(dict.fromkeys(i for i in account_ids if is_guid(i)))
        counts: dict[str, dict[str, int]] = {i.lower(): {} for i in ids}
        if ids:
            await run_concurrently(
                self.count_open(rule, chunk, counts)
                for rule in CRM_STATISTICS
                for chunk in self.statistics_chunks(rule, ids)
            )
        return {
            i: CrmAccountStatistics(
                **{rule.figure: counts[i.lower()].get(rule.figure, 0) for rule in CRM_STATISTICS}
            )
            for i in ids
        }

    def statistics_chunks(self, rule: OpenRecordCount, ids: list[str]) -> list[list[str]]:
        spec = self.spec(rule.entity)
        overhead = len(self.client.url(spec.native_name)) + 200  # $apply wrapper and open filter
        return chunk_ids(
            ids,
            clause=lambda item: f"{rule.account_field} eq {item}",
            budget=max(200, self.limits.max_url_length - overhead),
            max_ids=self.limits.max_ids_per_request,
        )

    async def count_open(
        self, rule: OpenRecordCount, ids: list[str], counts: dict[str, dict[str, int]]
    ) -> None:
        spec = self.spec(rule.entity)
        condition: Filter = And((rule.open, In(rule.account_field, tuple(ids))))
        rendered = render_filter(
            condition, system=self.system, is_guid_field=lambda n: self.is_guid_field(spec, n)
        )
        base = self.client.url(spec.native_name)
        doing = f"count open {spec.name} records of {len(ids)} accounts"
        if not self._no_apply:
            apply = f"filter({rendered})/groupby(({rule.account_field}),aggregate($count as count))"
            try:
                page = await fetch_page(
                    self.client, with_query(base, [("$apply", apply)]), doing=doing, page_size=None
                )
            except ValidationError as error:
                log.warning(
                    "%s: $apply refused (%s); counting rows instead", self.system, error.status
                )
                self._no_apply = True
            else:
                for row in page.values:
                    account = str(row.get(rule.account_field, "")).lower()
                    if account in counts:
                        counts[account][rule.figure] = int(row.get("count") or 0)
                return
        url = with_query(base, [("$select", rule.account_field), ("$filter", rendered)])
        async for page in iter_pages(self.client, url, doing=doing, page_size=5000):
            for row in page.values:
                account = str(row.get(rule.account_field, "")).lower()
                if account in counts:
                    counts[account][rule.figure] = counts[account].get(rule.figure, 0) + 1

    # ---- lifecycle ------------------------------------------------------------------------------

    async def transition(
        self, entity: str, id: str, action: str, params: Mapping[str, Any] | None = None
    ) -> Record | None:
        spec = self.writable(entity)
        self.check_id(spec, id)
        params = dict(params or {})
        step = TRANSITIONS.get(spec.name, {}).get(action)
        row = f"{spec.native_name}({id})"
        doing = f"{action} {spec.name} {id}"
        if isinstance(step, SetState):
            response = await self.client.send(
                "PATCH",
                with_query(row, self.write_params(spec)),
                doing=doing,
                json=state_body(step, params),
                headers={**self.write_headers(), "If-Match": str(params.get("etag") or "*")},
            )
            return await self.written(spec, response, id)
        if isinstance(step, Close):
            await self.client.send(
                "POST",
                step.action,
                doing=doing,
                json=close_body(step, spec.native_name, id, params),
                replay_safe=False,
            )
            return await self.get(spec.name, id)
        if isinstance(step, Convert):
            response = await self.client.send(
                "POST", step.action, doing=doing, json=convert_body(step, id), replay_safe=False
            )
            return self.record(self.spec(step.result_entity), self.client.json(response, doing))
        if QUALIFIED_ACTION.match(action):
            response = await self.client.send(
                "POST", f"{row}/{action}", doing=doing, json=params, replay_safe=False
            )
            data = self.client.json(response, doing) if response.content.strip() else None
            if data and spec.key_field in data:
                return self.record(spec, data)
            try:
                return await self.get(spec.name, id)
            except NotFoundError:
                return None
        known = ", ".join(sorted(TRANSITIONS.get(spec.name, {}))) or "none"
        raise ValidationError(
            f"{action!r} is not a lifecycle action of {spec.name} (known: {known}; or a "
            "fully qualified Microsoft.Dynamics.CRM.<Action>)",
            system=self.system,
        )


def not_tracked(error: ConnectorError) -> bool:
    text = error.message.lower()
    return error.status in (400, 501) and ("change tracking" in text or "track" in text)


def expired(error: ConnectorError) -> bool:
    return error.status == 410 or (error.status == 400 and "expire" in error.message.lower())


def entity_ref(value: object) -> str | None:
    match = REFERENCE.match(str(value).rsplit("/", 1)[-1]) if value else None
    return match.group(2) if match else None
