"""WSGI entry point: ``gunicorn wsgi:app``."""

import gc

from votesvc import create_app

app = create_app()
# Everything made so far (modules, classes, the app) lives as long as the worker. Frozen, the
# garbage collector's full passes skip those ~135 000 objects: unfrozen, each pass held the
# interpreter for 70-270 ms (casting bench, shared 2-core machine), stalling the worker's threads.
gc.freeze()
