"""Running untrusted student code: a child process behind a plain-data boundary.

``Sandbox`` is the real thing; ``InProcessStudent`` (in ``inprocess``) has the
same API for testing suites, without the boundary.
"""

from .client import Limits, Sandbox, fast_tmp
from .errors import KINDS, StudentError

__all__ = ["Sandbox", "Limits", "StudentError", "KINDS", "fast_tmp"]
