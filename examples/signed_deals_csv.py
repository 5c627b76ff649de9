"""Follow dealflow's event feed and write a CSV row for every deal that reaches ``signed``.

An example integration for a sales tool built on dealflow: run it from cron (or with
``--follow``) and it picks up where it stopped, from the position kept in ``--state``.
Delivery is at-least-once: the CSV is written before the position is saved, so a crash in
between repeats a row rather than losing one.

    python examples/signed_deals_csv.py --store deals.db --csv signed.csv --state feed.pos
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import dealflow
from dealflow.domain.events import ContractSigned

COLUMNS = [
    "position",
    "deal_id",
    "title",
    "buyer",
    "grand_total",
    "currency",
    "terms_hash",
    "signed_at",
]


def run_once(service: dealflow.DealService, csv_path: Path, state: Path) -> int:
    """Process every new event; the number of signed deals written."""
    position = int(state.read_text()) if state.exists() else 0
    written = 0
    new_file = not csv_path.exists()
    with csv_path.open("a", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        if new_file:
            out.writerow(COLUMNS)
        while batch := service.feed(after=position, limit=200):
            for entry in batch:
                event = entry.event
                if isinstance(event, ContractSigned) and event.stage is dealflow.Stage.SIGNED:
                    deal = service.get(event.deal_id)
                    contract = next(c for c in deal.contracts if c.terms_hash == event.terms_hash)
                    total = contract.terms.totals.grand_total
                    out.writerow(
                        [
                            entry.position,
                            deal.id,
                            deal.title,
                            deal.buyer.name,
                            total.amount,
                            total.currency,
                            event.terms_hash,
                            event.occurred_at.isoformat(),
                        ]
                    )
                    written += 1
            handle.flush()
            position = batch[-1].position
            state.write_text(str(position))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="the store URL, e.g. deals.db")
    parser.add_argument("--csv", type=Path, required=True, help="the CSV file to append to")
    parser.add_argument("--state", type=Path, required=True, help="where the position is kept")
    parser.add_argument("--follow", action="store_true", help="keep polling every second")
    args = parser.parse_args()
    service = dealflow.connect(args.store)
    try:
        while True:
            written = run_once(service, args.csv, args.state)
            print(f"{written} signed deal(s) written to {args.csv}")
            if not args.follow:
                return
            time.sleep(1)
    finally:
        service.close()


if __name__ == "__main__":
    main()
