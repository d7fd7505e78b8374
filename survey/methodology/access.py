"""Who may use the questionnaire pages: methodologists and administrators; only
administrators choose the questionnaire version of a wave."""

from ..officials.access import roles_required

methodology_required = roles_required("methodologist", "administrator")
waves_required = roles_required("administrator")
