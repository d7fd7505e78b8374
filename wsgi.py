"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import gc

from survey import create_app

app = create_app()

# The loaded app is some 300,000 long-lived objects (modules, SQLAlchemy and questionnaire
# structures) that a full garbage collection would walk again each time — a pause of
# 0.1-0.3 s inside whichever request triggers it.  Collect once, then move them to the
# permanent generation: later collections scan only what requests allocate.  Each
# gunicorn worker imports this module itself, so each freezes its own heap.
gc.collect()
gc.freeze()
