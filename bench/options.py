"""What a benchmark run is asked to do: which scenarios, at which sizes, how many times.

Sizes have names (`--size sync=10000`); a bare number sets the synchronization size, and the
scale run follows at ten times it unless given. `--quick` shrinks everything to smoke-test the
harness in a minute or two; its figures are not meant to be reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path

# Defaults fit the whole run in under ten minutes on a 2-core machine. The target sizes
# (`--size sync=10000`, `--size scale=100000`) are run on their own; see bench/README.md.
DEFAULT_SIZES: dict[str, int] = {
    "page_accounts": 300,  # accounts (all coupled) behind the statistics page
    "page_size": 100,  # rows per statistics page
    "page_requests": 32,  # requests per measurement at concurrency 16 (a quarter at 1)
    "overhead_rows": 100,  # rows of the in-process GraphQL page
    "overhead_iterations": 100,  # executions per measurement
    "sync": 3_000,  # customers of the full synchronization (target size: 10,000)
    "scale": 10_000,  # customers of the memory-under-scale run (target size: 100,000)
    "changes": 5_000,  # records of the connector's change read (target size: 10,000)
    "bulk": 500,  # records of the connector's bulk update (target size: 1,000)
    "latency_samples": 20,  # changes timed each way, by schedule (concurrently) and by push
    "burst": 1_000,  # changes at once in one system, carried by notifications
    "scale_out": 2_000,  # customers of the scale-out run, per worker count (target: 10,000)
    "ps_projects": 20,  # Project Server projects written (target size: 200)
    "ps_tasks": 50,  # tasks per Project Server project
}

QUICK_SIZES: dict[str, int] = {
    "page_accounts": 300,
    "page_size": 100,
    "page_requests": 48,
    "overhead_rows": 100,
    "overhead_iterations": 40,
    "sync": 1_000,
    "scale": 3_000,
    "changes": 2_000,
    "bulk": 200,
    "latency_samples": 4,
    "burst": 200,
    "scale_out": 500,
    "ps_projects": 4,
    "ps_tasks": 50,
}


class OptionError(ValueError):
    """A command-line option is wrong; the message names it."""


@dataclass(frozen=True)
class Sizes:
    page_accounts: int
    page_size: int
    page_requests: int
    overhead_rows: int
    overhead_iterations: int
    sync: int
    scale: int
    changes: int
    bulk: int
    latency_samples: int
    burst: int
    scale_out: int
    ps_projects: int
    ps_tasks: int

    @classmethod
    def parse(cls, given: list[str], *, quick: bool) -> Sizes:
        values = dict(QUICK_SIZES if quick else DEFAULT_SIZES)
        named: dict[str, int] = {}
        for item in given:
            name, sep, text = item.partition("=")
            if not sep:
                name, text = "sync", item
            name = name.strip().replace("-", "_")
            if name not in values:
                known = ", ".join(sorted(values))
                raise OptionError(f"--size {item!r}: unknown size {name!r} (known: {known})")
            try:
                number = int(text.replace("_", ""))
            except ValueError:
                raise OptionError(f"--size {item!r}: {text!r} is not a whole number") from None
            if number < 1:
                raise OptionError(f"--size {item!r}: must be at least 1")
            named[name] = number
        if "sync" in named and "scale" not in named:
            named["scale"] = 10 * named["sync"]
        values.update(named)
        if values["page_size"] > 200:
            raise OptionError("--size page_size: at most 200 (the API's largest page)")
        return cls(**values)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Options:
    scenarios: list[str]
    sizes: Sizes
    repeat: int
    quick: bool
    results_dir: Path
    profile: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def with_sizes(self, **changes: int) -> Options:
        return replace(self, sizes=replace(self.sizes, **changes))
