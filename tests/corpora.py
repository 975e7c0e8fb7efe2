"""Where the team's shared mail corpora are: `../shared/corpora` beside the checkout (see its README), else the
team machine's /work/shared/corpora. Tests that read them skip with a clear reason when neither is there."""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [
    *([Path(os.environ["GT_CORPORA"])] if os.environ.get("GT_CORPORA") else []),
    Path(__file__).resolve().parents[1].parent / "shared" / "corpora",
    Path("/work/shared/corpora"),
]
CORPORA = next((path for path in _CANDIDATES if path.is_dir()), _CANDIDATES[-1])
ENMIME = CORPORA / "enmime"
