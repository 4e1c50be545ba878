"""`python -m nbreport`: the report builder's command line (see nbreport.cli)."""
import sys

from nbreport.cli import main

sys.exit(main())
