"""newstrace: how a news story travels across outlets.

Library first: everything the CLI does is a function here.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Config
from .errors import NewstraceError
from .export import export
from .pipeline import analyze
from .store import Store

__all__ = ["Config", "NewstraceError", "Store", "analyze", "export", "__version__"]
