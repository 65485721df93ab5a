"""Run the benchmark suite and write the figures to BENCHMARKS.md.

    python -m benchmarks.run            # every benchmarks/bench_*.py
    python -m benchmarks.run collect    # only bench_collect.py

Each ``bench_<name>.py`` has ``TITLE``, ``TARGETS`` ({figure: target text}) and
``run() -> dict[str, dict[str, object]]`` (scenario → figures). Its section of
BENCHMARKS.md is replaced; other sections are kept, so one module can be rerun.
"""

from __future__ import annotations

import importlib
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.machine import describe

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
HEADER = """# Benchmarks

Produced by `make bench` (`python -m benchmarks.run [name…]`); each section is
rewritten when its module runs. Figures come from real servers and databases on
the machine named in each section; load is generated from a separate process on
loopback, bounded in count and time. Targets come from the issues.
"""


def _modules(names: list[str]) -> list[tuple[str, ModuleType]]:
    found = sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
    chosen = names or found
    unknown = set(chosen) - set(found)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; have {found}")
    return [(n, importlib.import_module(f"benchmarks.bench_{n}")) for n in chosen]


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _section(name: str, module: ModuleType, results: dict[str, dict[str, Any]], took: float) -> str:
    machine = describe()
    lines = [
        f"<!-- bench:{name} -->",
        f"## {getattr(module, 'TITLE', name)}",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine['cpu']}, "
        f"{machine['cores']} cores, {machine['memory']}, {machine['os']}, "
        f"Python {machine['python']}, "
        f"commit {machine['commit']}; took {took:.0f} s. "
        f"Command: `python -m benchmarks.run {name}`.",
        "",
    ]
    targets: dict[str, str] = getattr(module, "TARGETS", {})
    for scenario, figures in results.items():
        lines += [f"**{scenario}**", "", "| figure | value | target |", "|---|---|---|"]
        for figure, value in figures.items():
            lines.append(f"| {figure} | {_format(value)} | {targets.get(figure, '')} |")
        lines.append("")
    notes = getattr(module, "NOTES", "")
    if notes:
        lines += [notes.strip(), ""]
    lines.append(f"<!-- /bench:{name} -->")
    return "\n".join(lines)


def _write(name: str, section: str) -> None:
    text = REPORT.read_text() if REPORT.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    REPORT.write_text(text)


def main(argv: list[str]) -> None:
    for name, module in _modules(argv):
        sys.stderr.write(f"running benchmarks.bench_{name} …\n")
        start = time.perf_counter()
        results = module.run()
        section = _section(name, module, results, time.perf_counter() - start)
        _write(name, section)
        sys.stderr.write(section + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
