"""Running untrusted student code: a child process behind a plain-data boundary.

``Sandbox`` is the real thing; ``InProcessStudent`` (in ``inprocess``) has the
same API for testing suites, without the boundary.
"""

from .client import USER_ENV, Limits, Sandbox, SandboxSetupError, fast_tmp, sandbox_user
from .errors import KINDS, StudentError

__all__ = ["Sandbox", "Limits", "StudentError", "SandboxSetupError", "KINDS", "fast_tmp", "sandbox_user", "USER_ENV"]
