"""Running untrusted student code: a child process confined by the operating system, behind a plain-data boundary.

``Sandbox`` is the real thing (``client``), started inside the isolation that
``isolation`` detects; ``InProcessStudent`` (in ``inprocess``) has the same API
for testing suites, without the boundary.
"""

from .client import USER_ENV, Limits, Sandbox, SandboxSetupError, isolation_mode, sandbox_user
from .errors import KINDS, StudentError

__all__ = ["Sandbox", "Limits", "StudentError", "SandboxSetupError", "KINDS", "sandbox_user", "USER_ENV",
           "isolation_mode"]
