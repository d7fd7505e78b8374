"""Who may use the administrators' pages: the one seam where roles plug in.

Until accounts exist this is the officials' sign-in; with roles it becomes
``roles_required("administrator")``.
"""

from ..officials.auth import login_required


def admin_required(view):
    """Let only administrators use ``view``."""
    return login_required(view)
