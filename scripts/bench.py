"""tokend's benchmark, as scripts/bench runs it: python3 scripts/bench.py --binary … [--quick] [--out DIR].
The driver is the package benchmark/ beside this file (--help tells the options)."""

import sys

from benchmark.cli import main

if __name__ == "__main__":
    sys.exit(main())
