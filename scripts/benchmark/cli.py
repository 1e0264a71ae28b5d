"""The benchmark's command line: `python3 scripts/bench.py …` (what scripts/bench runs) or
`python3 -m benchmark …` from scripts/. Parses the options, checks that wrk and nginx (the
gateway phase compares the gateway with it) are there, sets the run's time limit, runs the
cases, writes results.md and results.json, and stops every process on the way out."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchmark
from harness.nginx import nginx_binary
from harness.postgres import bindir
from harness.processes import HarnessError, stop_all

from .cases import Bench, Config
from .common import BIG_PROJECT_TOKENS, REPO, BenchError, log
from .measure import machine, source_version
from .report import report

DEFAULT_BINARY = REPO / ".build-release" / "release" / "tokend"


def ensure_nginx() -> None:
    """nginx must be there: every mode needs it (the gateway phase's bar is nginx; the PostgreSQL
    phases' two instances sit behind it). scripts/bench installs it (scripts/system-packages
    --bench); run directly, bench.py names what is missing."""
    try:
        nginx_binary()
    except HarnessError as error:
        raise BenchError(f"{error} (scripts/system-packages --bench installs it, as root)") from error


def main() -> int:
    prog = "python3 -m benchmark" if Path(sys.argv[0]).name == "__main__.py" else None  # else bench.py
    parser = argparse.ArgumentParser(prog=prog, description=benchmark.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, default=Path(os.environ.get("TOKEND_BINARY") or DEFAULT_BINARY),
                        help="the tokend to measure (default: TOKEND_BINARY, else .build-release/release/tokend)")
    parser.add_argument("--quick", action="store_true", help="stores of 10k and 100k tokens, 3 s per case (< 3 minutes)")
    parser.add_argument("--out", type=Path, help="where results.md, results.json and logs go (default: a new /tmp folder)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 10, quick 3)")
    parser.add_argument("--scales", help="comma-separated store sizes, the last one the main store (default 10000,1000000)")
    parser.add_argument("--fill-cache", type=Path, help="keep filled stores here and reuse them in later runs (development)")
    parser.add_argument("--keep-work", action="store_true", help="do not delete the stores and request lists")
    parser.add_argument("--postgresql", action="store_true",
                        help="then the PostgreSQL phases on a throwaway cluster: every operation beside SQLite, two "
                             "instances behind nginx against one, the cross-instance revocation bound (adds about "
                             "5 minutes with --quick here; about 3 times that in a full run)")
    parser.add_argument("--postgresql-only", action="store_true",
                        help="the PostgreSQL phases alone (development; results.md has their section only)")
    parser.add_argument("--gateway-only", action="store_true",
                        help="the gateway phase alone (the region direct, through nginx and through the gateway) on "
                             "the smallest store (development: about a minute with --quick; results.md has its rows "
                             "and targets only)")
    args = parser.parse_args()
    if args.gateway_only and (args.postgresql or args.postgresql_only):
        parser.error("--gateway-only runs the gateway phase alone: not with --postgresql or --postgresql-only")

    quick = args.quick
    duration = args.duration or (3 if quick else 10)
    scales = [int(s) for s in args.scales.split(",")] if args.scales else ([10_000, 100_000] if quick else [10_000, 1_000_000])
    if len(scales) < 2 or scales != sorted(scales) or scales[-1] < 2 * BIG_PROJECT_TOKENS:
        parser.error("--scales needs at least two increasing sizes, the last at least 20000")
    config = Config(quick=quick, duration=duration, scales=scales, one_connection_duration=1 if quick else max(1, duration // 2),
                    postgresql=args.postgresql and not args.postgresql_only, postgresql_only=args.postgresql_only,
                    gateway_only=args.gateway_only)
    if not args.binary.exists():
        parser.error(f"no tokend binary at {args.binary}")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed")
    if args.postgresql or args.postgresql_only:
        try:
            bindir()
        except HarnessError as error:
            parser.error(f"--postgresql: {error}")
    try:
        ensure_nginx()
    except BenchError as error:
        parser.error(str(error))
    out = args.out or Path(tempfile.gettempdir()) / f"tokend-bench-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tokend-bench-work-"))

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    limit = 600 if quick else 1800
    if args.gateway_only:
        limit = 300 if quick else 900
    if args.postgresql or args.postgresql_only:
        # The PostgreSQL phases' own budget (each case runs on two servers, two fills).
        limit = (0 if args.postgresql_only else limit) + (900 if quick else 2400)
    alarm_hit = False

    def on_alarm(_signum, _frame):
        nonlocal alarm_hit
        alarm_hit = True
        raise BenchError(f"the benchmark ran over its {limit} s limit")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(limit)
    bench = Bench(config, args.binary.resolve(), out, work, args.fill_cache)
    bench.results["machine"] = machine()
    bench.results["binary"] = str(args.binary.resolve())
    bench.results["source"] = source_version()
    log(f"results and logs in {out}; stores in {work}")
    try:
        bench.run()
        signal.alarm(0)
        text, targets = report(bench)
        bench.results["targets"] = targets
        (out / "results.md").write_text(text + "\n")
        (out / "results.json").write_text(json.dumps(bench.results, indent=1, default=str) + "\n")
        print(text)
        print(f"\n(results.md, results.json and logs in {out}; {bench.results['seconds']:.0f} s)")
        return 0
    except (BenchError, HarnessError, subprocess.SubprocessError, OSError) as error:
        (out / "results.json").write_text(json.dumps(bench.results, indent=1, default=str) + "\n")
        print(f"bench failed: {error}\n(partial results and logs in {out})", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        stop_all()
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
