"""python3 -m harness with-server|with-topology …: see harness/cli.py."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
