"""`python -m devstack.gmail_sim --port P --mailbox ADDRESS...`"""

import sys

from .cli import main

sys.exit(main())
