"""`python -m bench` (or `make bench BENCH_ARGS=...`): measure the gateway against its limits.

python -m bench                                   # every scenario at its default size
python -m bench --quick                           # smoke-test the harness (small sizes)
python -m bench --scenario statistics-page --repeat 5
python -m bench --scenario memory-scale --size scale=100000
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bench.options import OptionError, Options, Sizes
from bench.runner import run
from bench.scenarios import SCENARIOS

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of the gateway, each as a ratio against a baseline measured "
        "in the same run.",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="run this scenario (repeatable; default: all of them)",
    )
    parser.add_argument(
        "--size",
        action="append",
        default=[],
        metavar="NAME=N",
        help="a size, e.g. sync=10000, scale=100000, page_accounts=1000 (repeatable); a bare "
        "number sets `sync` (and `scale` to ten times it)",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="measurements per figure (default 3, quick 1)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON results go"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profiles")
    args = parser.parse_args(argv)
    try:
        sizes = Sizes.parse(args.size, quick=args.quick)
    except OptionError as exc:
        parser.error(str(exc))
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    if repeat < 1:
        parser.error("--repeat: must be at least 1")
    scenarios = args.scenario or list(SCENARIOS)
    return Options(
        scenarios=list(dict.fromkeys(scenarios)),
        sizes=sizes,
        repeat=repeat,
        quick=args.quick,
        results_dir=args.results_dir,
        profile=not args.no_profile,
    )


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("arq").setLevel(logging.WARNING)  # a line per job otherwise
    run(parse(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
