"""``python -m tinygan`` is the ``tinygan`` command."""
import sys

from tinygan.cli import main

sys.exit(main())
