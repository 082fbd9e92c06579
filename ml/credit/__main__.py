"""``python -m ml.credit``: see ``ml.credit.cli``."""

import sys

from .cli import main

sys.exit(main())
