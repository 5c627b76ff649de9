"""What the benchmarks share: timing, interleaving, medians and percentiles, ratios against a
baseline, target lines, the summary table, and running a benchmark (its options, its first
line, its temporary folder).

Every script in ``bench/`` measures a figure and a baseline in the same run, in turns
(:func:`interleave`), takes medians, and prints the figure next to its target
(:class:`Target`) and as a ratio to the baseline; it ends with a table of the same figures
(:class:`Row`, :meth:`Run.finish`). The scripts import this module by name (``from _common import
...``): Python puts a script's own folder first on ``sys.path``. Timing dealflow in a new
process is in :mod:`_processes`.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from time import perf_counter
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K")
R = TypeVar("R")

# Timing -----------------------------------------------------------------------------------


def timed(action: Callable[[], T], *, collect: bool = True) -> tuple[float, T]:
    """Seconds of one call, and what it returned.

    A full collection comes first (unless ``collect`` is false: for calls of microseconds, where
    the collection would cost more than the call), so that no call pays for the garbage of the
    one before; the collector stays on during the call, as for real callers."""
    if collect:
        gc.collect()
    start = perf_counter()
    result = action()
    return perf_counter() - start, result


def seconds(action: Callable[[], object], *, collect: bool = True) -> float:
    """Seconds of one call (see :func:`timed`)."""
    return timed(action, collect=collect)[0]


def per_call(action: Callable[[], object], calls: int) -> float:
    """Seconds per call over ``calls`` calls in a row, after one full collection."""
    gc.collect()
    start = perf_counter()
    for _ in range(calls):
        action()
    return (perf_counter() - start) / calls


def interleave(
    measures: Mapping[K, Callable[[], R]],
    rounds: int,
    *,
    rotate: bool = False,
    warm: bool = False,
    failed: Callable[[K, Exception], None] | None = None,
) -> dict[K, list[R]]:
    """``rounds`` results of each measure, taken in turns (a, b, c, a, b, c...) so that a noisy
    moment of the machine hits all of them alike.

    With ``rotate`` the order turns by one each round (a, b, c; b, c, a; ...), so that no
    measure always runs right after the same other one (on its garbage, or on a cache it
    warmed). With ``warm``, each runs once first, untimed (caches, bytecode, lazy imports).
    With ``failed``, a measure that raises is handed to it with the exception and left out of
    the rounds after; without, the exception goes up."""
    names = list(measures)
    if warm:
        for name in names:
            measures[name]()
    results: dict[K, list[R]] = {name: [] for name in names}
    dropped: set[K] = set()
    for number in range(rounds):
        shift = number % len(names) if rotate and names else 0
        for name in names[shift:] + names[:shift]:
            if name in dropped:
                continue
            try:
                results[name].append(measures[name]())
            except Exception as exc:
                if failed is None:
                    raise
                dropped.add(name)
                failed(name, exc)
    return results


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    """The median of ``repeats`` runs of ``measure`` (which collects garbage as it needs)."""
    return statistics.median(measure() for _ in range(repeats))


def medians(samples: Mapping[K, Sequence[float]]) -> dict[K, float]:
    """The median of each non-empty list of samples."""
    return {name: statistics.median(values) for name, values in samples.items() if values}


def p90(samples: Sequence[float]) -> float:
    """The 90th percentile (inclusive: within the samples' range however few they are)."""
    return statistics.quantiles(samples, n=10, method="inclusive")[-1]


def spread(
    samples: Sequence[float], baseline: Sequence[float], shown: Callable[[float], str]
) -> str:
    """The lowest and highest ratio of a round's sample to the baseline's in the same round:
    how noisy the machine was."""
    ratios = [a / b for a, b in zip(samples, baseline, strict=False)]
    return f"{shown(min(ratios))} to {shown(max(ratios))}" if ratios else "-"


# Figures, ratios, targets -----------------------------------------------------------------


def ms(seconds: float, digits: int = 1) -> str:
    return f"{seconds * 1e3:.{digits}f} ms"


def us(seconds: float, digits: int = 1) -> str:
    return f"{seconds * 1e6:.{digits}f} us"


def times(measured: float, baseline: float, digits: int = 2) -> str:
    """The ratio of a figure to its baseline, as ``1.23x``."""
    return f"{measured / baseline:.{digits}f}x"


def share(measured: float, baseline: float, digits: int = 1) -> str:
    """A figure as a share of its baseline, as ``4.5%``."""
    return f"{measured / baseline:.{digits}%}"


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER TARGET"


@dataclass(frozen=True)
class Target:
    """What a figure must stay under (or, for a rate, reach): ``limit`` in the unit the figure
    is measured in (seconds, a ratio, a share, a rate), ``shown`` as a reader reads it."""

    limit: float
    shown: str
    at_least: bool = False

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def __str__(self) -> str:
        return f"{'>=' if self.at_least else '<='} {self.shown}"

    def line(self, value: float) -> str:
        """``(target <= 50 ms) OK``: what ends a figure's line."""
        return f"(target {self}) {verdict(self.met(value))}"


# The summary table --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the summary table that ends every benchmark's output."""

    figure: str
    measured: str
    baseline: str
    ratio: str
    target: str
    verdict: str

    @classmethod
    def of(
        cls,
        figure: str,
        measured: str,
        baseline: str,
        ratio: str,
        target: Target | None,
        value: float,
    ) -> Row:
        """A figure's row, judged against ``target`` (``value`` in the target's unit); a figure
        with no target is shown for information."""
        if target is None:
            return cls(figure, measured, baseline, ratio, "none", "-")
        return cls(figure, measured, baseline, ratio, str(target), verdict(target.met(value)))

    @classmethod
    def error(cls, figure: str, baseline: str = "-") -> Row:
        """A figure that could not be measured."""
        return cls(figure, "-", baseline, "-", "-", "ERROR")


HEADER = Row("figure", "measured", "baseline", "ratio", "target", "verdict")


def print_table(rows: Sequence[Row]) -> None:
    table = [astuple(row) for row in [HEADER, *rows]]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    for cells in table:
        print("   " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())


def failed(part: str, exc: Exception, rows: list[Row]) -> None:
    """Report a part that could not be measured, and go on: a benchmark reports, and a part
    that fails must not hide the figures of the others."""
    print(f"   FAILED: {type(exc).__name__}: {exc}")
    traceback.print_exc(file=sys.stderr)
    rows.append(Row.error(part))


def attempt(part: str, rows: list[Row], measure: Callable[[], T]) -> T | None:
    """What ``measure`` returns, or None when it fails (said by :func:`failed`)."""
    try:
        return measure()
    except Exception as exc:
        failed(part, exc, rows)
        return None


# Running a benchmark ----------------------------------------------------------------------


class Run:
    """One run of a benchmark: the command line every benchmark takes (``--quick`` for fewer
    rounds, ``--rounds N`` to choose them, and the script's own options added by ``more``), the
    rounds chosen, the rows of its summary table, and when it began."""

    def __init__(
        self,
        doc: str | None,
        *,
        rounds: int = 7,
        quick: int = 3,
        unit: str = "rounds",
        more: Callable[[argparse.ArgumentParser], object] | None = None,
    ) -> None:
        parser = argparse.ArgumentParser(description=(doc or "").split("\n")[0])
        parser.add_argument("--quick", action="store_true", help=f"{quick} {unit}, not {rounds}")
        parser.add_argument("--rounds", type=int, metavar="N", help=f"{unit} (default {rounds})")
        if more is not None:
            more(parser)
        self.args = parser.parse_args()
        self.quick: bool = self.args.quick
        self.rounds: int = max(1, self.args.rounds or (quick if self.quick else rounds))
        self.unit = unit
        self.rows: list[Row] = []
        self.began = perf_counter()

    def header(self, title: str, versions: Sequence[str] = (), after: str = "") -> None:
        """The first line: what is measured, how many rounds each median takes, and the
        versions the figures depend on."""
        found = ", ".join([f"Python {platform.python_version()}", *versions])
        print(f"dealflow {title} benchmark: medians of {self.rounds} {self.unit} ({found}){after}")

    def finish(self) -> None:
        """The summary table, and how long the whole run took."""
        print()
        print_table(self.rows)
        print(f"run time {perf_counter() - self.began:.1f} s")


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for the run's stores and files, removed after it."""
    with tempfile.TemporaryDirectory(prefix="dealflow-bench-") as name:
        yield Path(name)
