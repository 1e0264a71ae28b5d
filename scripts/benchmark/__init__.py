"""tokend's benchmark driver (run it through scripts/bench, which builds the release binary).

    python3 scripts/bench.py --binary .build-release/release/tokend [--quick] [--out DIR]

One run: fill stores with `tokend fill`, start release servers on 127.0.0.1, drive them
with wrk (same threads, connections and duration for every case), drive an ephemeral
server (`serve --ephemeral`: first answer, snapshot restore, create, list, delete) and moto's
IAM server the same way, and print one table (operation, requests/s, p50, p99, ratio to the
`/_tokend/ping` ceiling of the same server) followed by startup, memory and storage
figures and each target met or missed. The gateway rows compare one `tokend region`
answered directly, through `tokend gateway` and through nginx (installed with apt-get when
missing); --gateway-only runs them alone. Also writes results.md, results.json and the
servers' logs to --out (default: a new /tmp/tokend-bench-<time> folder).

Standard library only. Every process is started through the process harness (scripts/harness),
bound to 127.0.0.1, given a time limit, and stopped on exit, also on failure or Ctrl-C.
The parts: benchmark.cases (the cases, phase by phase), benchmark.wrk (the wrk driver),
benchmark.report (the table, figures and targets), benchmark.stores (`tokend fill`),
benchmark.measure (/proc, fsync, machine), benchmark.common, benchmark.cli (this command),
benchmark.postgresql (with --postgresql: a throwaway PostgreSQL cluster; every operation on it
beside SQLite, two instances of a region behind nginx against one, the cross-instance
revocation bound).
"""
