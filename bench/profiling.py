"""Where the time goes: pyinstrument over repeated calls, summarised by package and function.

The full call tree is written as text beside the results; the summary (self time by top-level
package and the functions with the most self time) goes into the results file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pyinstrument import Profiler
from pyinstrument.frame import Frame

SAMPLE_INTERVAL = 0.001


def _package(path: str | None) -> str:
    if not path:
        return "(builtin)"
    marker = "site-packages/"
    if marker in path:
        return path.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    for ours in ("gateway", "schema", "adapters", "bench", "jobs", "sandbox"):
        if f"/{ours}/" in path:
            return ours
    if "/lib/python" in path:
        return "(stdlib) " + path.rsplit("/", 1)[-1].removesuffix(".py")
    return path.rsplit("/", 1)[-1]


def _walk(frame: Frame, packages: dict[str, float], functions: dict[str, float]) -> None:
    # A real frame's `total_self_time` includes its synthetic "[self]" children already.
    if not frame.is_synthetic:
        self_time = frame.total_self_time
        packages[_package(frame.file_path)] += self_time
        functions[f"{frame.function} ({frame.file_path_short}:{frame.line_no})"] += self_time
    for child in frame.children:
        _walk(child, packages, functions)


def _largest(times: dict[str, float], count: int) -> list[tuple[str, float]]:
    return sorted(times.items(), key=lambda item: item[1], reverse=True)[:count]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


async def profile_calls(
    call: Callable[[], Awaitable[object]], iterations: int, text_path: Path | None
) -> dict[str, Any]:
    """Profile `iterations` calls; the summary, and the call tree in `text_path`."""
    profiler = Profiler(interval=SAMPLE_INTERVAL, async_mode="disabled")
    profiler.start()
    for _ in range(iterations):
        await call()
    session = profiler.stop()
    root = session.root_frame()
    packages: dict[str, float] = defaultdict(float)
    functions: dict[str, float] = defaultdict(float)
    if root is not None:
        _walk(root, packages, functions)
    total = sum(packages.values()) or 1.0
    if text_path is not None:
        _write(text_path, profiler.output_text(unicode=True, color=False, show_all=False))
    return {
        "iterations": iterations,
        "sampled_seconds": round(total, 4),
        "by_package": {
            name: round(100 * seconds / total, 1) for name, seconds in _largest(packages, 12)
        },
        "top_functions": {
            name: round(100 * seconds / total, 1) for name, seconds in _largest(functions, 15)
        },
        "tree": str(text_path) if text_path is not None else None,
    }
