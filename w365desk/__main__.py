"""``python -m w365desk`` and the frozen executable both start here."""

import sys

from w365desk.cli import main

if __name__ == "__main__":
    sys.exit(main())
