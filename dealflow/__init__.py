"""dealflow: a negotiation and deal-agreement engine.

Open a deal from a deal file, run it through presentation, offers, counter-offers, special
terms, approvals and signatures, and keep every event::

    import dealflow

    service = dealflow.connect("memory://")
    deal = service.open_deal(dealflow.load_deal_file("deal.yaml"))
"""

import importlib
from typing import TYPE_CHECKING

from dealflow.__about__ import __version__

if TYPE_CHECKING:
    from dealflow.adapters.clock import FixedClock, SystemClock
    from dealflow.adapters.memory import MemoryEventStore
    from dealflow.adapters.postgres import PostgresEventStore
    from dealflow.adapters.sqlite import SQLiteEventStore
    from dealflow.application.service import DealService
    from dealflow.application.verification import Verdict
    from dealflow.bootstrap import connect, open_store, verify_contract
    from dealflow.domain.advisor.deal_advice import DealAdvice
    from dealflow.domain.agreement import Agreement
    from dealflow.domain.buyer_value import BuyerValue, RenewalReminder
    from dealflow.domain.chain import AuditReport
    from dealflow.domain.claims import Claim, ClaimKind
    from dealflow.domain.commitments import Commitment, CommitmentStatus
    from dealflow.domain.contract import ContractDocument, ContractPdf, contract_document
    from dealflow.domain.deal import (
        Deal,
        Language,
        Offer,
        OfferKind,
        SignatureMethod,
        SignedContract,
    )
    from dealflow.domain.diff import TermsDifference
    from dealflow.domain.events import AnyEvent, Event
    from dealflow.domain.feed import FeedEntry
    from dealflow.domain.games import GameKind, GameSignal
    from dealflow.domain.health import Health
    from dealflow.domain.interactions import Channel, Interaction, InteractionKind
    from dealflow.domain.lifecycle import Action, Stage, allowed_actions
    from dealflow.domain.listing import DealQuery, DealRow
    from dealflow.domain.members import Member, MemberRole, Roster
    from dealflow.domain.money import Money
    from dealflow.domain.parties import Actor, Identified, Party, Representative, Role, Side, Via
    from dealflow.domain.policy import ApprovalPolicy, BuyerClass, SellerPolicy
    from dealflow.domain.rights import Right
    from dealflow.domain.spec import DealSpec
    from dealflow.domain.terms import (
        AfterSales,
        Delivery,
        DeliverySplit,
        Discount,
        LineItem,
        LocalizedText,
        Payment,
        SpecialTerms,
        Terms,
        TermsChange,
        Totals,
    )
    from dealflow.errors import (
        ActionRefusedError,
        ArtifactConflictError,
        BelowFloorError,
        BuyerNotFoundError,
        ClauseFileError,
        ClockBehindError,
        ConcurrencyConflictError,
        DealFileError,
        DealflowError,
        DealNotFoundError,
        FetchRefusedError,
        FileProblemsError,
        IllegalTransitionError,
        InvalidTermsError,
        ItemNotFoundError,
        NotPermittedError,
        NotYourTurnError,
        OfferExpiredError,
        PolicyFileError,
        RenderError,
        SealError,
        StoreError,
        StoreSchemaError,
        TemplateProblemError,
        TermsHashMismatchError,
        VersionNotFoundError,
        WrongRoleError,
    )
    from dealflow.files.dealfile import deal_file_schema, load_deal_file, parse_deal_spec
    from dealflow.files.policy import load_policy_file, parse_policy
    from dealflow.read.reports import BuyerReport, Review

#: Where each public name lives. The package imports none of them until first use
#: (``dealflow.Deal``, ``from dealflow import connect``): the command line loads only the modules
#: its command needs, which keeps the start of ``dealflow show`` short (``bench/cli.py``).
_MODULES: dict[str, tuple[str, ...]] = {
    "dealflow.adapters.clock": ("FixedClock", "SystemClock"),
    "dealflow.adapters.memory": ("MemoryEventStore",),
    "dealflow.adapters.postgres": ("PostgresEventStore",),
    "dealflow.adapters.sqlite": ("SQLiteEventStore",),
    "dealflow.bootstrap": ("connect", "open_store", "verify_contract"),
    "dealflow.files.dealfile": ("deal_file_schema", "load_deal_file", "parse_deal_spec"),
    "dealflow.domain.buyer_value": ("BuyerValue", "RenewalReminder"),
    "dealflow.domain.claims": ("Claim", "ClaimKind"),
    "dealflow.domain.commitments": ("Commitment", "CommitmentStatus"),
    "dealflow.domain.contract": ("ContractDocument", "ContractPdf", "contract_document"),
    "dealflow.domain.deal": (
        "Deal",
        "Language",
        "Offer",
        "OfferKind",
        "SignatureMethod",
        "SignedContract",
    ),
    "dealflow.domain.diff": ("TermsDifference",),
    "dealflow.domain.events": ("AnyEvent", "Event"),
    "dealflow.domain.feed": ("FeedEntry",),
    "dealflow.domain.games": ("GameKind", "GameSignal"),
    "dealflow.domain.health": ("Health",),
    "dealflow.domain.interactions": ("Channel", "Interaction", "InteractionKind"),
    "dealflow.domain.lifecycle": ("Action", "Stage", "allowed_actions"),
    "dealflow.domain.listing": ("DealQuery", "DealRow"),
    "dealflow.domain.members": ("Member", "MemberRole", "Roster"),
    "dealflow.domain.money": ("Money",),
    "dealflow.domain.parties": (
        "Actor",
        "Identified",
        "Party",
        "Representative",
        "Role",
        "Side",
        "Via",
    ),
    "dealflow.domain.agreement": ("Agreement",),
    "dealflow.domain.chain": ("AuditReport",),
    "dealflow.domain.policy": ("ApprovalPolicy", "BuyerClass", "SellerPolicy"),
    "dealflow.domain.rights": ("Right",),
    "dealflow.domain.spec": ("DealSpec",),
    "dealflow.domain.terms": (
        "AfterSales",
        "Delivery",
        "DeliverySplit",
        "Discount",
        "LineItem",
        "LocalizedText",
        "Payment",
        "SpecialTerms",
        "Terms",
        "TermsChange",
        "Totals",
    ),
    "dealflow.errors": (
        "ActionRefusedError",
        "ArtifactConflictError",
        "BelowFloorError",
        "BuyerNotFoundError",
        "ClauseFileError",
        "ClockBehindError",
        "ConcurrencyConflictError",
        "DealFileError",
        "DealflowError",
        "DealNotFoundError",
        "FetchRefusedError",
        "FileProblemsError",
        "IllegalTransitionError",
        "InvalidTermsError",
        "ItemNotFoundError",
        "NotPermittedError",
        "NotYourTurnError",
        "OfferExpiredError",
        "PolicyFileError",
        "RenderError",
        "SealError",
        "StoreError",
        "StoreSchemaError",
        "TemplateProblemError",
        "TermsHashMismatchError",
        "VersionNotFoundError",
        "WrongRoleError",
    ),
    "dealflow.files.policy": ("load_policy_file", "parse_policy"),
    "dealflow.read.reports": ("BuyerReport", "Review"),
    "dealflow.application.service": ("DealService",),
    "dealflow.application.verification": ("Verdict",),
    "dealflow.domain.advisor.deal_advice": ("DealAdvice",),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> object:
    """Import a public name's module on first use and keep the name on the package; a
    subpackage or module too (``dealflow.domain.commitments.schedule``)."""
    module = _HOME.get(name)
    if module is None:
        return _submodule(__name__, name)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _submodule(package: str, name: str) -> object:
    """``package.name`` imported, for attribute access on a package that imports lazily."""
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.{name}":
            raise
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


__all__ = [
    "Action",
    "ActionRefusedError",
    "Actor",
    "AfterSales",
    "Agreement",
    "AnyEvent",
    "ApprovalPolicy",
    "ArtifactConflictError",
    "AuditReport",
    "BelowFloorError",
    "BuyerClass",
    "BuyerNotFoundError",
    "BuyerReport",
    "BuyerValue",
    "Channel",
    "Claim",
    "ClaimKind",
    "ClauseFileError",
    "ClockBehindError",
    "Commitment",
    "CommitmentStatus",
    "ConcurrencyConflictError",
    "ContractDocument",
    "ContractPdf",
    "Deal",
    "DealAdvice",
    "DealFileError",
    "DealNotFoundError",
    "DealQuery",
    "DealRow",
    "DealService",
    "DealSpec",
    "DealflowError",
    "Delivery",
    "DeliverySplit",
    "Discount",
    "Event",
    "FeedEntry",
    "FetchRefusedError",
    "FileProblemsError",
    "FixedClock",
    "GameKind",
    "GameSignal",
    "Health",
    "Identified",
    "IllegalTransitionError",
    "Interaction",
    "InteractionKind",
    "InvalidTermsError",
    "ItemNotFoundError",
    "Language",
    "LineItem",
    "LocalizedText",
    "Member",
    "MemberRole",
    "MemoryEventStore",
    "Money",
    "NotPermittedError",
    "NotYourTurnError",
    "Offer",
    "OfferExpiredError",
    "OfferKind",
    "Party",
    "Payment",
    "PolicyFileError",
    "PostgresEventStore",
    "RenderError",
    "RenewalReminder",
    "Representative",
    "Review",
    "Right",
    "Role",
    "Roster",
    "SQLiteEventStore",
    "SealError",
    "SellerPolicy",
    "Side",
    "SignatureMethod",
    "SignedContract",
    "SpecialTerms",
    "Stage",
    "StoreError",
    "StoreSchemaError",
    "SystemClock",
    "TemplateProblemError",
    "Terms",
    "TermsChange",
    "TermsDifference",
    "TermsHashMismatchError",
    "Totals",
    "Verdict",
    "VersionNotFoundError",
    "Via",
    "WrongRoleError",
    "__version__",
    "allowed_actions",
    "connect",
    "contract_document",
    "deal_file_schema",
    "load_deal_file",
    "load_policy_file",
    "open_store",
    "parse_deal_spec",
    "parse_policy",
    "verify_contract",
]
