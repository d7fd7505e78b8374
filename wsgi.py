"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

from survey import create_app
from survey.heap import freeze_long_lived

app = create_app()

# Later garbage collections scan only what requests allocate, not the loaded app (see
# survey/heap.py). Each gunicorn worker imports this module itself, so each freezes its
# own heap.
freeze_long_lived()
