"""The readable side of a run: one table of ratios per scenario, then its checks and notes.
The JSON file holds everything, absolute figures included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.results import ScenarioResult


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _mark(met: bool | None) -> str:
    return {True: "ok", False: "MISSED", None: ""}[met]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return lines


def render(results: Sequence[ScenarioResult], machine: dict[str, Any]) -> str:
    lines = [
        f"machine: {machine['cpus']} cores, load average before {machine['load_before']}, "
        f"after {machine['load_after']}; python {machine['python']}",
        "",
    ]
    for result in results:
        lines.append(f"== {result.name}: {result.title} ({result.seconds:.0f} s)")
        if result.skipped:
            lines += [f"   skipped: {result.skipped}", ""]
            continue
        if result.comparisons:
            rows = [
                (
                    c.metric,
                    _number(c.ratio),
                    c.target,
                    _mark(c.met),
                    f"{_number(c.product)} {c.unit}",
                    f"{_number(c.baseline)} {c.unit}",
                )
                for c in result.comparisons
            ]
            header = ("metric", "ratio", "target", "", "product", "baseline")
            lines += ["   " + line for line in _table(header, rows)]
        for check in result.checks:
            lines.append(
                f"   [{_mark(check.met) or '?'}] {check.name}: {check.actual} "
                f"(wanted {check.expected})"
            )
        lines += [f"   note: {note}" for note in result.notes]
        lines.append("")
    return "\n".join(lines)


def markdown(document: dict[str, Any]) -> str:
    """A results file as Markdown: per scenario, its ratios first, then its checks."""
    about = document["machine"]
    options = document["options"]
    lines = [
        f"Run of {document['started_at'][:19]}Z: {document['seconds']:.0f} s, "
        f"{about['cpus']} cores, load average (1, 5, 15 min) {about['load_before']} before and "
        f"{about['load_after']} after; repeat {options['repeat']}; sizes "
        + ", ".join(f"{name} {value:,}" for name, value in options["sizes"].items())
        + ".",
        "",
    ]
    for scenario in document["scenarios"]:
        lines.append(f"**{scenario['name']}** ({scenario['seconds']:.0f} s)")
        lines.append("")
        if scenario["skipped"]:
            lines += [f"skipped: {scenario['skipped'].splitlines()[0]}", ""]
            continue
        rows = [
            (
                c["metric"],
                _number(c["ratio"]),
                c["target"] or "",
                _mark(c["met"]),
                f"{_number(c['product'])} {c['unit']}",
                f"{_number(c['baseline'])} {c['unit']}",
            )
            for c in scenario["comparisons"]
        ]
        rows += [
            (
                check["name"],
                "",
                check["expected"],
                _mark(check["met"]),
                check["actual"],
                "",
            )
            for check in scenario["checks"]
        ]
        lines.append("| metric | ratio | target | met | product | baseline |")
        lines.append("|---|---:|---|---|---:|---:|")
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    import orjson

    for name in sys.argv[1:]:
        print(markdown(orjson.loads(Path(name).read_bytes())))
