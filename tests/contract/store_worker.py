"""A writer process for the concurrency and crash tests: ``python -m tests.contract.store_worker
URL SHARED_DEAL ATTEMPTS`` acts on the shared deal and on a deal of its own, in turn, and
prints what landed as one JSON line; with ATTEMPTS 0 it acts until it is killed.

``... URL SHARED_DEAL ATTEMPTS log`` logs ATTEMPTS interactions on the shared deal instead (an
action that retries itself on a conflict), and prints how many landed and how many failed."""

from __future__ import annotations

import json
import sys

import dealflow
from dealflow.application.demo import sample_deal_spec
from dealflow.domain import commands as c

SELLER = dealflow.Actor(name="Budi Santoso", role=dealflow.Role.SELLER)
BUYER = dealflow.Actor(name="Siti Rahmawati", role=dealflow.Role.BUYER)


def next_command(deal: dealflow.Deal, step: int) -> c.Command:
    """The next move that keeps a negotiation going: present, offer, then counter-offers."""
    if deal.stage is dealflow.Stage.DRAFT:
        return c.Present(SELLER)
    if deal.stage is dealflow.Stage.PRESENTED:
        return c.MakeOffer(SELLER)
    actor = BUYER if deal.turn is dealflow.Side.BUYER else SELLER
    change = dealflow.TermsChange(payment_days=30 + step % 30)
    return c.Counter(actor, change)


def log_calls(url: str, shared: str, attempts: int) -> None:
    """Log ``attempts`` calls on the shared deal, counting what landed and what was refused."""
    service = dealflow.connect(url)
    landed = failed = 0
    for step in range(attempts):
        try:
            service.log_interaction(shared, SELLER, channel="phone", kind="contact", note=f"{step}")
        except dealflow.ConcurrencyConflictError:
            failed += 1
        else:
            landed += 1
    print(json.dumps({"landed": landed, "failed": failed}), flush=True)
    service.close()


def main() -> None:
    url, shared, attempts = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if sys.argv[4:] == ["log"]:
        log_calls(url, shared, attempts)
        return
    service = dealflow.connect(url)
    own = service.open_deal(sample_deal_spec()).id
    print(json.dumps({"own": own}), flush=True)
    landed = {"shared": 0, "own": 0}
    conflicts = 0
    step = 0
    while attempts == 0 or step < attempts:
        step += 1
        for name, deal_id in (("shared", shared), ("own", own)):
            deal = service.get(deal_id)
            try:
                command = next_command(deal, step)
                service.execute(deal_id, command, expected_version=deal.version)
            except dealflow.ConcurrencyConflictError:
                conflicts += 1
            else:
                landed[name] += 1
    print(json.dumps({"own": own, "landed": landed, "conflicts": conflicts}), flush=True)
    service.close()


if __name__ == "__main__":
    main()
