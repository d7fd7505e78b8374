"""Who may use the administrators' set-up pages: administrators only."""

from ..officials.access import roles_required

admin_required = roles_required("administrator")
