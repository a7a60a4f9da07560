"""The bare endpoint bench/pages.py compares the to-do page with: one route rendering a one-line template.

No database, no session, no extensions; served by the same gunicorn command as the app
(`gunicorn ... bench.bare_app:app`), so the ratio shows what the app adds to Flask and gunicorn.
"""

from __future__ import annotations

from flask import Flask, render_template
from jinja2 import DictLoader

app = Flask(__name__)
app.jinja_loader = DictLoader({"bare.html": "<p>{{ greeting }}</p>\n"})


@app.route("/")
def bare() -> str:
    return render_template("bare.html", greeting="你好")
