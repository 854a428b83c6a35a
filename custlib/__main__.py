"""`python -m custlib COMMAND`: the command line (custlib.cli)."""
import sys

from .cli import main

sys.exit(main())
