"""docqa's version: recorded in every manifest, shown by ``docqa --version``."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
