"""The benchmarks share their input generators (market_table, engine_cases) as plain modules
of this folder; with ``--import-mode=importlib`` the folder is not on the path by itself."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
