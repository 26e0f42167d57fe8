"""``python -m translator.cli``: the same as the ``translator`` command."""

import sys

from translator.cli import main

sys.exit(main())
