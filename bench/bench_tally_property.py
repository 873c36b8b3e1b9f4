"""Fuller run of the tally property test (issue 13: the totals count each device once, in its
current status, after any sequence of actions, the exceptions included).

Run from the project root: `python bench/bench_tally_property.py [examples]` (default 300). It
runs tests/api/test_tally_property.py with that many examples, on SQLite and, when
COLLECTE_TEST_POSTGRES_URL is set, on PostgreSQL; exits with pytest's status.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "300"
    os.environ["COLLECTE_TALLY_EXAMPLES"] = examples
    os.environ.setdefault("COLLECTE_MIGRATIONS_DIR", str(ROOT / "migrations" / "collecte"))
    os.chdir(ROOT)
    return pytest.main(
        ["-q", "-p", "no:cacheprovider", "tests/api/test_tally_property.py", "--durations=0"]
    )


if __name__ == "__main__":
    sys.exit(main())
