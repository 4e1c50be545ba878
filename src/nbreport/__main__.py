"""`python -m nbreport`: the report builder's command line (see nbreport.cli)."""
import os
import sys

from nbreport.cli import main

try:
    sys.exit(main())
except BrokenPipeError:  # `--list | head`: the reader left; the Python documentation's recipe, no traceback
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(1)
