"""``dealflow advise``: the negotiation advisor on a deal, for the rep in the middle of it.

Prints what every offer so far is worth to the seller, the suggestion (accept, or the counter
to make, with the command that makes it and the approvals it would need), the explanation and
the customer games seen; with ``--simulate`` the negotiation played forward as a table, and
with ``--chart`` that dance drawn to an SVG file. ``--json`` prints the advice alone on stdout.
The advisor's modules are imported when the command runs, so that every other command starts
as fast as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from dealflow.cli.app import app
from dealflow.cli.base import cells, emit_json, err, options, out, say, service
from dealflow.cli.params import DealId
from dealflow.cli.terms_options import TERMS_OPTIONS
from dealflow.domain.parties import Side
from dealflow.domain.policy import Tactic

if TYPE_CHECKING:
    from dealflow.domain.advisor.deal_advice import CounterOffer, DealAdvice
    from dealflow.domain.advisor.forecast import Forecast
    from dealflow.domain.deal import Deal

#: Short units for the tables' cells, which must fit a terminal.
SHORT_UNITS = {
    "payment_days": "d",
    "delivery_days": "d",
    "warranty_months": "mo",
    "response_hours": "h",
}
#: Column headings of the issues, in the advisor's order.
HEADINGS = {
    "discount": "Discount",
    "payment_days": "Payment",
    "warranty_months": "Warranty",
    "delivery_days": "Delivery",
    "response_hours": "Response",
}


@app.command(rich_help_panel="Negotiate")
def advise(
    ctx: typer.Context,
    deal_id: DealId,
    simulate: Annotated[
        bool,
        typer.Option("--simulate", help="Play the negotiation forward against a modelled buyer."),
    ] = False,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart",
            metavar="FILE.svg",
            help="Draw the negotiation dance to this SVG file (implies --simulate).",
        ),
    ] = None,
    buyer_tactic: Annotated[
        Tactic | None,
        typer.Option(
            "--buyer-tactic",
            help="The buyer's tactic for the simulation (implies --simulate); "
            "default: estimated from how the buyer has conceded.",
        ),
    ] = None,
) -> None:
    """What to offer next, whether to accept, and which game the buyer is playing.

    Values every offer so far by the seller policy's preferences (--policy), suggests the
    counter-offer at the tactic's target closest to the buyer's latest offer (or to accept it),
    names the approvals it would need and the customer games seen.

    \b
    Example:
      dealflow advise 3f2a9c1b7d4e --simulate --chart dance.svg
    """
    if chart is not None and chart.suffix.lower() != ".svg":
        raise typer.BadParameter("write the chart to a FILE.svg", param_hint="--chart")
    if chart is not None:
        from dealflow.files.local import check_target

        check_target(chart)  # before the simulation: a path it cannot write is refused first
    simulate = simulate or chart is not None or buyer_tactic is not None
    svc = service(ctx)
    advice = svc.advise(deal_id, simulate=simulate, buyer_tactic=buyer_tactic)
    deal = svc.get(deal_id)
    written = None
    if chart is not None and advice.forecast is not None:
        written = _write_chart(chart, advice, deal)
    if options(ctx).json:
        emit_json(advice)
        if written is not None:
            err.print(f"Chart written to {written}", markup=False)
        return
    _print_advice(advice, deal)
    if written is not None:
        say(f"Chart written to {written}")


def _write_chart(path: Path, advice: DealAdvice, deal: Deal) -> Path:
    from dealflow.domain.advisor.chart import dance_svg
    from dealflow.files.local import write_file

    assert advice.forecast is not None
    svg = dance_svg(
        advice.forecast.moves,
        title=f"Negotiation dance: {deal.title}",
        reservation=advice.reservation,
        agreement=advice.forecast.agreement,
    )
    write_file(path, svg.encode("utf-8"))
    return path


def _cell(issue: str, value: float) -> str:
    """A value for a table cell: ``4.92%``, ``45d``, ``18mo``."""
    from dealflow.domain.advisor.deal_terms import describe

    unit = SHORT_UNITS.get(issue)
    return describe(issue, value) if unit is None else f"{value:g}{unit}"


def _issues(advice: DealAdvice) -> list[str]:
    return list(advice.weights)


def _print_advice(advice: DealAdvice, deal: Deal) -> None:
    say(f"{deal.title}  ({deal.id}), {advice.stage.value}, v{advice.deal_version}")
    say(
        f"Day {advice.elapsed_days:.1f} of {advice.deadline_days} ({advice.time_fraction:.0%}), "
        f"{advice.tactic.value} tactic: target {advice.target:.3f}, walk-away "
        f"{advice.reservation:.2f}"
    )
    weights = ", ".join(f"{HEADINGS[n].lower()} {w:.2f}" for n, w in advice.weights.items())
    say(f"Issues weighed: {weights}")
    for name, why in advice.skipped.items():
        say(f"Left out: {HEADINGS[name].lower()} ({why})")
    names = _issues(advice)
    if advice.offers:
        table = Table(box=None, pad_edge=False)
        for column in ("Ver", "Side", "Kind", "Made", *(HEADINGS[n] for n in names), "Worth"):
            table.add_column(column, justify="right" if column == "Worth" else "left")
        clamped = False
        for o in advice.offers:
            values = []
            for n in names:
                mark = "*" if o.stated[n] != o.counted[n] else ""
                clamped = clamped or bool(mark)
                values.append(_cell(n, o.stated[n]) + mark)
            table.add_row(
                *cells(
                    f"v{o.version}",
                    o.side.value,
                    o.kind.value,
                    o.made_at.date().isoformat(),
                    *values,
                    f"{o.utility:.3f}",
                )
            )
        out.print(table)
        if clamped:
            say("* beyond the policy's range: counted at its end.")
    rates = [
        wording.format(rate)
        for wording, rate in (
            ("the buyer concedes {:.3f} a round", advice.buyer_concession_per_round),
            ("{:.3f} a day", advice.buyer_concession_per_day),
            ("we concede {:.3f} a round", advice.seller_concession_per_round),
        )
        if rate is not None
    ]
    if rates:
        say("Concessions: " + ", ".join(rates) + ".")
    _print_suggestion(advice, deal)
    say("")
    say(advice.explanation)
    for signal in advice.signals:
        say("")
        say(f"Signal: {signal.kind.value}")
        say(f"  Saw: {signal.saw}")
        say(f"  Response: {signal.response}")
    if advice.forecast is not None:
        say("")
        _print_forecast(advice.forecast, names)


def _command(advice: DealAdvice, counter: CounterOffer) -> str:
    verb = "offer" if not advice.offers else "counter"
    change = counter.change
    parts = [f"dealflow {verb} {advice.deal_id} --as seller"]
    if change.discount is not None and change.discount.percent is not None:
        parts.append(f"--discount {change.discount.percent.normalize():f}%")
    # The issues the advisor moves, each written with the option that offer and counter take.
    for issue in ("payment_days", "warranty_months", "delivery_date", "response_hours"):
        value = getattr(change, issue)
        if value is not None:
            parts.append(f"{TERMS_OPTIONS[issue]} {value}")
    return " ".join(parts)


def _print_suggestion(advice: DealAdvice, deal: Deal) -> None:
    from dealflow.domain.advisor.deal_terms import describe

    counter = advice.counter
    names = _issues(advice)
    if advice.accept and advice.buyer_latest is not None:
        say(f"Suggestion: accept the buyer's v{advice.buyer_latest}.")
        say(f"  Run: dealflow accept {deal.id} --as seller")
        for role, why in advice.accept_approvals.items():
            say(f"  Needs {role.value} approval once agreed: {why}")
        return
    offered = ", ".join(f"{HEADINGS[n].lower()} {describe(n, counter.stated[n])}" for n in names)
    worth = f"worth {counter.terms_utility:.3f} (target {advice.target:.3f})"
    if advice.lapsed:
        say(
            f"Suggestion: none can be acted on: offer v{advice.offers[-1].version} has lapsed; "
            "`dealflow sweep` records the deal as expired."
        )
        return
    if advice.offers and advice.turn is Side.BUYER:
        say(f"Suggestion: wait for the buyer's answer to v{advice.offers[-1].version}.")
        return
    verb = "counter" if advice.offers else "open"
    say(f"Suggestion: {verb} with {offered}; {worth}.")
    say(f"  Run: {_command(advice, counter)}")
    for role, why in counter.approvals.items():
        say(f"  Needs {role.value} approval once agreed: {why}")
    for note in counter.notes:
        say(f"  Note: {note}")


def _print_forecast(forecast: Forecast, names: list[str]) -> None:
    say(
        f"Simulation against a {forecast.buyer_tactic.value} buyer ({forecast.buyer_tactic_reason}"
        f"; walk-away {forecast.buyer_reservation:.2f}), a round every "
        f"{forecast.round_days:.1f} days (Buyer: the buyer's utility as modelled):"
    )
    table = Table(box=None, pad_edge=False)
    columns = ("Round", "Side", "Day", *(HEADINGS[n] for n in names), "Ours", "Buyer", "Offer")
    for column in columns:
        table.add_column(column, justify="right" if column in ("Ours", "Buyer") else "left")
    for m in forecast.moves:
        table.add_row(
            *cells(
                str(m.round),
                m.side.value,
                f"{m.day:.1f}",
                *(_cell(n, m.outcome[n]) for n in names),
                f"{m.seller_utility:.3f}",
                f"{m.buyer_utility:.3f}",
                "sim." if m.simulated else f"v{m.version}",
            )
        )
    out.print(table)
    agreed = forecast.agreement
    if agreed is None or forecast.accepted_by is None:
        say("No agreement before the deadline.")
        return
    whose = "our" if agreed.side is Side.SELLER else "the buyer's"
    say(
        f"Agreement: the {forecast.accepted_by.value} accepts {whose} round {agreed.round} offer "
        f"(day {agreed.day:.1f}), worth {agreed.seller_utility:.3f} to us and "
        f"{agreed.buyer_utility:.3f} to the buyer (modelled)."
    )
