"""python3 -m benchmark … (from scripts/): the same as python3 scripts/bench.py …"""

import sys

from .cli import main

sys.exit(main())
