"""`coupleByMatch` (integrator): couple uncoupled records whose chosen fields hold the same values.

The bulk set-up of an integration: e.g. every customer whose number equals an account's
`accountnumber`. A dry run (the default) lists the pairs and the ambiguous values and writes
nothing; run it again with `dryRun: false` to couple. See `gateway.couplings.matching`.
"""

from __future__ import annotations

import strawberry

from gateway.auth.roles import Role
from gateway.couplings.matching import (
    DEFAULT_MAX,
    MAX_PAIRS,
    AmbiguousMatch,
    MatchedPair,
    Matcher,
    MatchField,
    MatchReport,
    SkippedMatch,
)
from gateway.couplings.service import CouplingService
from gateway.refusals import RefusalCode, RefusalError
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.mutations.couplings import actor
from schema.permissions import requires
from schema.types.couplings import Coupling


@strawberry.input(name="MatchField", description="One field of each side that must agree.")
class MatchFieldInput:
    erp_field: str = strawberry.field(description="e.g. number, displayName, email.")
    crm_field: str = strawberry.field(description="e.g. accountnumber, name, emailaddress1.")


@strawberry.input(description="Couple records whose chosen fields all hold the same values.")
class CoupleByMatchInput:
    mapping: str = strawberry.field(description="The table mapping, e.g. CUSTOMER.")
    fields: list[MatchFieldInput] = strawberry.field(description="1 to 4 pairs; all must agree.")
    case_sensitive: bool = strawberry.field(
        default=False, description="Compare text exactly (default: ignoring case)."
    )
    dry_run: bool = strawberry.field(
        default=True, description="Only list what would be coupled (the default)."
    )
    max: int | None = strawberry.field(
        default=None,
        description=f"Stop after this many pairs (default {DEFAULT_MAX}, at most {MAX_PAIRS}).",
    )


@strawberry.type(name="MatchedPair", description="Two records whose fields agree.")
class MatchedPairType:
    erp_id: strawberry.ID
    crm_id: strawberry.ID
    values: list[str] = strawberry.field(description="The values that matched (the ERP's).")
    coupling: Coupling | None = strawberry.field(description="Null in a dry run.")

    @classmethod
    def of(cls, pair: MatchedPair) -> MatchedPairType:
        return cls(
            erp_id=strawberry.ID(pair.erp_id),
            crm_id=strawberry.ID(pair.crm_id),
            values=list(pair.values),
            coupling=Coupling.of(pair.coupling) if pair.coupling is not None else None,
        )


@strawberry.type(
    name="AmbiguousMatch",
    description="Values held by more than one record on a side: left alone, to couple by hand.",
)
class AmbiguousMatchType:
    values: list[str]
    erp_ids: list[strawberry.ID]
    crm_ids: list[strawberry.ID]

    @classmethod
    def of(cls, match: AmbiguousMatch) -> AmbiguousMatchType:
        return cls(
            values=list(match.values),
            erp_ids=[strawberry.ID(i) for i in match.erp_ids],
            crm_ids=[strawberry.ID(i) for i in match.crm_ids],
        )


@strawberry.type(name="SkippedMatch", description="A matching pair that could not be coupled.")
class SkippedMatchType:
    erp_id: strawberry.ID
    crm_id: strawberry.ID
    code: RefusalCode
    message: str

    @classmethod
    def of(cls, skipped: SkippedMatch) -> SkippedMatchType:
        return cls(
            erp_id=strawberry.ID(skipped.erp_id),
            crm_id=strawberry.ID(skipped.crm_id),
            code=skipped.code,
            message=skipped.message,
        )


@strawberry.type
class CoupleByMatchPayload:
    dry_run: bool
    complete: bool = strawberry.field(
        description="Every ERP record was looked at (false: `max` stopped it; run it again)."
    )
    scanned: int = strawberry.field(description="ERP records looked at.")
    coupled_count: int = strawberry.field(description="Pairs coupled (0 in a dry run).")
    pairs: list[MatchedPairType]
    ambiguous: list[AmbiguousMatchType]
    skipped: list[SkippedMatchType]
    user_errors: list[UserError]

    @classmethod
    def of(cls, report: MatchReport) -> CoupleByMatchPayload:
        return cls(
            dry_run=report.dry_run,
            complete=report.complete,
            scanned=report.scanned,
            coupled_count=0 if report.dry_run else len(report.pairs),
            pairs=[MatchedPairType.of(pair) for pair in report.pairs],
            ambiguous=[AmbiguousMatchType.of(match) for match in report.ambiguous],
            skipped=[SkippedMatchType.of(skipped) for skipped in report.skipped],
            user_errors=[],
        )

    @classmethod
    def refused(cls, dry_run: bool, errors: list[UserError]) -> CoupleByMatchPayload:
        return cls(
            dry_run=dry_run,
            complete=False,
            scanned=0,
            coupled_count=0,
            pairs=[],
            ambiguous=[],
            skipped=[],
            user_errors=errors,
        )


@strawberry.type
class MatchingMutation:
    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Couple uncoupled records whose chosen fields agree (e.g. number ↔ "
        "accountnumber). Values held by several records on a side are listed as ambiguous and "
        "left alone; pairs whose references are not coupled yet are skipped with the reason. "
        "A dry run (the default) changes nothing.",
    )
    async def couple_by_match(self, info: Info, input: CoupleByMatchInput) -> CoupleByMatchPayload:
        matcher = Matcher(CouplingService(info.context.services, actor(info)))
        try:
            report = await matcher.run(
                input.mapping,
                [MatchField(f.erp_field, f.crm_field) for f in input.fields],
                case_sensitive=input.case_sensitive,
                dry_run=input.dry_run,
                max_pairs=input.max,
            )
        except RefusalError as refusal:
            return CoupleByMatchPayload.refused(input.dry_run, user_errors(refusal))
        return CoupleByMatchPayload.of(report)
