"""Entry point for gunicorn: `gunicorn wsgi:app` (and for the job worker: `flask --app wsgi jobs work`)."""

from claims import create_app
from claims.core.process import settle_process

app = create_app()
settle_process(app.config)  # after everything is loaded: the garbage collector and the C library's memory
