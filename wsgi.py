"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from claims import create_app

app = create_app()
