"""Benchmark of the command line's cold start: ``dealflow show DEAL`` in a new process.

A rep runs ``dealflow`` once per action, so every command pays the interpreter's start and
all its imports before it reads a single event. Setup: in a temporary directory, a SQLite
store with the sample deal taken a few steps (``new``, ``present --as seller``, ``offer
--as seller --discount 5%``), all through the CLI.

1. Wall time of a new process, each command run N times (21; ``--quick`` 7), interleaved
   round-robin (the order rotating each round) so that a noisy moment hits all of them, after
   one untimed warm-up run each (bytecode caches written, file cache warm):

   - ``python -c pass``: the interpreter alone, the floor no Python command can go under;
   - ``python -c "import pydantic"``: the floor for a command built on pydantic models;
   - ``dealflow --store sqlite:///... show DEAL``, run as the console script installed next to
     ``sys.executable`` (what a rep types), or ``python -m dealflow`` if there is none.

   Medians and 90th percentiles are printed, and the ratios of the show's median to both
   baselines. Target: ``dealflow show`` <= 300 ms median.
2. The heavy optional dependencies (``weasyprint``, ``pyhanko``, ``psycopg``: PDF, sealing,
   PostgreSQL) must stay out of ``show``: a new interpreter loads the app as the console script
   does (``dealflow.cli.app``: the root options, then the show command's module when the
   arguments are parsed) and runs ``show`` in-process with a finder on ``sys.meta_path`` that
   records any attempt to import them (found or not), then checks ``sys.modules``; the module
   lists of the ``-X importtime`` runs below are checked too. Target: not loaded, not even
   tried.
3. Where the start-up time goes: ``python -X importtime -m dealflow --store ... show DEAL``
   (a few runs, medians per module), the 10 largest cumulative import times (a module's
   cumulative time includes the modules it was the first to import, so the list nests; each
   line names its first importer) and the 10 largest self times. ``-X importtime`` itself
   inflates the figures somewhat; they are for proportions, not for the target.

Run ``python bench/cli.py`` from the repository root (``--quick`` for fewer runs, ``--rounds N``
to choose them). It reports and never asserts: the exit code is 0 whatever the figures. The
output ends with a table of the figures against their targets.
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from _common import Row, Run, Target, interleave, ms, p90, scratch, verdict
from _processes import command_seconds, dealflow_command, subprocess_env

SHOW_TARGET = Target(0.300, "300 ms")
HEAVY = ("weasyprint", "pyhanko", "psycopg")
TOP = 10

PASS = "python -c pass"
PYDANTIC = 'python -c "import pydantic"'
SHOW = "dealflow show"

SAMPLE = Path(__file__).resolve().parent.parent / "dealflow" / "samples" / "conveyor-deal.yaml"

# Run in a fresh interpreter: ``show`` in-process, then what of HEAVY was tried and loaded,
# and the seconds spent loading the app as the console script does (``dealflow.cli.app``: the
# root options, and the show command's module while the arguments are parsed) and running the
# command once loaded.
IN_PROCESS = """
import json, sys
from time import perf_counter
from typing import Any
heavy, url, deal_id, result = sys.argv[1].split(","), sys.argv[2], sys.argv[3], sys.argv[4]
tried = set()

class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in heavy:
            tried.add(name.partition(".")[0])
        return None

sys.meta_path.insert(0, Watch())
start = perf_counter()
import typer.main
from dealflow.cli.app import app
args = ["--store", url, "show", deal_id]
group = typer.main.get_command(app)
with group.make_context("dealflow", args) as ctx:
    imported = perf_counter()
    group.invoke(ctx)
done = perf_counter()
loaded = {m.partition(".")[0] for m in sys.modules}
report = {h: {"loaded": h in loaded, "tried": h in tried} for h in heavy}
report["seconds"] = {"import": imported - start, "show": done - imported}
with open(result, "w", encoding="utf-8") as f:
    json.dump(report, f)
"""

IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)\s*$")


@dataclass(frozen=True)
class Imported:
    """One module of an ``-X importtime`` report, in microseconds."""

    self_us: int
    cumulative_us: int
    depth: int
    parent: str | None


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a setup or check command; a failure stops the benchmark with its output."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(
            f"setup failed (exit {done.returncode}): {' '.join(command)}\n"
            f"{done.stdout}{done.stderr}"
        )
    return done


def parse_importtime(stderr: str) -> dict[str, Imported]:
    """Modules of one ``-X importtime`` report, each with its first importer.

    The report lists a module after the modules it imports, indented one level deeper, so a
    module's importer is the next line one level up."""
    rows: list[tuple[str, int, int, int]] = []
    for line in stderr.splitlines():
        match = IMPORTTIME_LINE.match(line)
        if match:
            rows.append((match[4], int(match[1]), int(match[2]), len(match[3]) // 2))
    modules: dict[str, Imported] = {}
    above: dict[int, str] = {}
    for name, self_us, cumulative_us, depth in reversed(rows):
        parent = above.get(depth - 1) if depth > 0 else None
        modules[name] = Imported(self_us, cumulative_us, depth, parent)
        above[depth] = name
    return modules


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def via(module: Imported) -> str:
    return f"via {module.parent}" if module.parent else "top level"


def whole_ms(seconds: float) -> str:
    return ms(seconds, 0)


# Reporting --------------------------------------------------------------------------------


def report_wall_times(
    show: list[str], repeats: int, cwd: Path, env: dict[str, str], rows: list[Row]
) -> None:
    commands = {
        PASS: [sys.executable, "-c", "pass"],
        PYDANTIC: [sys.executable, "-c", "import pydantic"],
        SHOW: show,
    }
    print(f"1. wall time of a new process, {repeats} runs each, interleaved")
    # Each runs once untimed first (bytecode caches written, file cache warm), then the rounds,
    # the order rotating each round.
    samples = interleave(
        {name: partial(command_seconds, command, env, cwd) for name, command in commands.items()},
        repeats,
        rotate=True,
        warm=True,
    )
    medians = {name: statistics.median(times) for name, times in samples.items()}
    for name, times in samples.items():
        print(f"   {name:<28} median {whole_ms(medians[name]):>7}, p90 {whole_ms(p90(times)):>7}")
    show_median = medians[SHOW]
    print(
        f"   dealflow show: {whole_ms(show_median)} median {SHOW_TARGET.line(show_median)}; "
        f"{show_median / medians[PASS]:.1f}x {PASS}, "
        f"{show_median / medians[PYDANTIC]:.1f}x {PYDANTIC}"
    )
    beyond = show_median - medians[PYDANTIC]
    print(f"   {SHOW} beyond {PYDANTIC}: {whole_ms(beyond)}")
    for baseline in (PASS, PYDANTIC):
        rows.append(
            Row.of(
                SHOW,
                whole_ms(show_median),
                f"{whole_ms(medians[baseline])} {baseline}",
                f"{show_median / medians[baseline]:.1f}x",
                SHOW_TARGET,
                show_median,
            )
        )


def in_process_show(url: str, deal_id: str, tmp: Path, env: dict[str, str]) -> dict[str, Any]:
    """One run of :data:`IN_PROCESS` in a new interpreter: its report."""
    result = tmp / "in-process.json"
    run([sys.executable, "-c", IN_PROCESS, ",".join(HEAVY), url, deal_id, str(result)], tmp, env)
    report: dict[str, Any] = json.loads(result.read_text("utf-8"))
    return report


def report_heavy(
    in_process: list[dict[str, Any]], imported: list[dict[str, Imported]], rows: list[Row]
) -> None:
    print(f"2. heavy optional dependencies while `{SHOW}` runs (target: not loaded, not tried)")
    for name in HEAVY:
        loaded = any(r[name]["loaded"] for r in in_process)
        tried = any(r[name]["tried"] for r in in_process)
        profiled = any(m.partition(".")[0] == name for modules in imported for m in modules)
        installed = "installed here" if find_spec(name) else "not installed here"
        ok = not (loaded or tried or profiled)
        print(
            f"   {name} loaded: {yes_no(loaded or profiled)} (import tried: {yes_no(tried)}; "
            f"in -X importtime: {yes_no(profiled)}; {installed}) {verdict(ok)}"
        )
        measured = f"loaded: {yes_no(loaded or profiled)}, tried: {yes_no(tried)}"
        rows.append(Row(f"{name} in {SHOW}", measured, "-", "-", "not loaded", verdict(ok)))


def report_imports(in_process: list[dict[str, Any]], imported: list[dict[str, Imported]]) -> None:
    importing = statistics.median(r["seconds"]["import"] for r in in_process)
    showing = statistics.median(r["seconds"]["show"] for r in in_process)
    print(
        f"3. where the time goes, medians of {len(in_process)} runs in a new interpreter: "
        f"loading the app for show {whole_ms(importing)}, then the show command itself "
        f"{whole_ms(showing)} (store, replay, possible actions, output)"
    )
    names = [n for n in imported[0] if all(n in m for m in imported)]
    cumulative = {n: statistics.median(m[n].cumulative_us for m in imported) for n in names}
    own = {n: statistics.median(m[n].self_us for m in imported) for n in names}
    first = imported[0]
    top_level = [n for n in names if first[n].depth == 0]
    total = sum(cumulative[n] for n in top_level)
    by_dealflow = sum(cumulative[n] for n in top_level if n.startswith("dealflow"))
    print(
        f"   `python -X importtime -m dealflow ... show`, medians of {len(imported)} runs: "
        f"{len(names)} modules, {total / 1e3:.0f} ms of imports, "
        f"{by_dealflow / 1e3:.0f} ms of them started by dealflow"
    )
    print(f"   top {TOP} cumulative (ms; nested: each includes what it first imported):")
    for name in sorted(names, key=cumulative.__getitem__, reverse=True)[:TOP]:
        print(
            f"   {cumulative[name] / 1e3:7.1f}  {name:<32} self {own[name] / 1e3:5.1f}  "
            f"({via(first[name])})"
        )
    print(f"   top {TOP} self (ms; the module's own code, not its imports):")
    for name in sorted(names, key=own.__getitem__, reverse=True)[:TOP]:
        print(f"   {own[name] / 1e3:7.1f}  {name:<32} ({via(first[name])})")


def main() -> None:
    bench = Run(__doc__, rounds=21, quick=7, unit="runs")
    repeats = bench.rounds
    profile_runs = 3 if bench.quick else 5
    show_command, how = dealflow_command()
    versions = [f"{name} {version(name)}" for name in ("pydantic", "typer", "rich")]
    bench.header("CLI cold-start", versions, after=f"; dealflow run as the {how}")
    env = subprocess_env()
    with scratch() as tmp:
        url = f"sqlite:///{tmp / 'deals.db'}"  # absolute path: sqlite:////tmp/...
        cli = [*show_command, "--store", url]
        deal_id = run([*cli, "new", str(SAMPLE)], tmp, env).stdout.strip()
        run([*cli, "present", deal_id, "--as", "seller"], tmp, env)
        run([*cli, "offer", deal_id, "--as", "seller", "--discount", "5%"], tmp, env)
        run([*cli, "show", deal_id], tmp, env)  # it works, before it is timed
        print(f"   setup: deal {deal_id}, offered by the seller, on a temporary SQLite store")

        report_wall_times([*cli, "show", deal_id], repeats, tmp, env, bench.rows)
        in_process = [in_process_show(url, deal_id, tmp, env) for _ in range(profile_runs)]
        profile = [sys.executable, "-X", "importtime", "-m", "dealflow", "--store", url]
        imported = [
            parse_importtime(run([*profile, "show", deal_id], tmp, env).stderr)
            for _ in range(profile_runs)
        ]
        report_heavy(in_process, imported, bench.rows)
        report_imports(in_process, imported)
    bench.finish()


if __name__ == "__main__":
    main()
