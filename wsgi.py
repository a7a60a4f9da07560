"""Entry point for gunicorn: `gunicorn wsgi:app`."""

import gc

from claims import create_app

app = create_app()

# The app's modules, templates and mappings are some 300,000 objects that live as long as the process. Left to the
# cyclic garbage collector, every full collection walks them all again: about half a second of CPU, once every few
# hundred requests, some 3 ms a request on average (measured on the to-do page). Frozen here, after everything is
# loaded, they are left out of every collection (https://docs.python.org/3/library/gc.html#gc.freeze).
gc.freeze()
