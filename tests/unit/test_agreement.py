"""The agreement an approval or signature binds: one per deal and contract version.

Properties over generated parties and versions: the agreement hash changes with anything that
names a party or the version, its canonical JSON reads back to the same agreement; and an
approval binds its agreement, so an amendment back to the same terms needs approving again.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

import dealflow
from dealflow import Stage, TermsChange
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.agreement import Agreement, agreement_of
from tests.conftest import BUYER, LEGAL, SELLER, SERVICE, START, by, staffed
from tests.paths import drive_to

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda text: text.strip() != "")


def _deal() -> dealflow.Deal:
    service = dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START))
    return staffed(service).open_deal(sample_deal_spec())


_DEAL = _deal()


@given(name=_TEXT, version=st.integers(min_value=1, max_value=50))
def test_the_agreement_hash_names_the_buyer_and_the_version(name: str, version: int) -> None:
    base = agreement_of(_DEAL)
    buyer = _DEAL.buyer.model_copy(update={"name": name})
    other = agreement_of(_DEAL.model_copy(update={"buyer": buyer, "contract_version": version}))
    same = name == _DEAL.buyer.name and version == _DEAL.contract_version
    assert (other.agreement_hash == base.agreement_hash) is same
    assert other.terms_hash == base.terms_hash
    assert Agreement.model_validate_json(other.canonical_json()) == other
    assert f"-V{version}" in other.number


def test_an_approval_binds_its_agreement_not_only_its_terms() -> None:
    service = staffed(dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START)))
    deal_id = drive_to(service, sample_deal_spec(), Stage.PENDING_APPROVAL)
    by(service, LEGAL).approve(deal_id, LEGAL)
    service.sign(deal_id, SELLER, title="Sales Director")
    service.sign(deal_id, BUYER, title="Procurement Manager")
    signed = service.get(deal_id)
    assert signed.stage is Stage.SIGNED
    first = signed.contracts[0]
    by(service, SERVICE).start_service(deal_id, SERVICE)
    # The amendment proposes the very terms signed: a new version, so a new agreement.
    service.amend(deal_id, BUYER, TermsChange(), reason="Restate the contract")
    service.accept(deal_id, SELLER)
    again = service.agree(deal_id, SELLER)
    assert again.terms_hash == first.terms_hash
    assert again.stage is Stage.PENDING_APPROVAL  # legal's approval of version 1 does not carry
    assert again.approvals == ()
    by(service, LEGAL).approve(deal_id, LEGAL)
    approval = service.get(deal_id).approvals[-1]
    assert approval.agreement_hash == agreement_of(service.get(deal_id), 2).agreement_hash
    assert approval.agreement_hash != first.agreement_hash
