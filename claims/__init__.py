"""Compensation claims for damage done by wild animals: the Flask application factory."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask

# Each domain's transitions module adds its actions to the one transition table.
TRANSITION_MODULES = (
    "claims.intake.transitions",
    "claims.intake.review",
    "claims.survey.services",
    "claims.insurance.services",
    "claims.approval.services",
    "claims.approval.payments",
    "claims.approval.documents",
    "claims.valuation.transitions",
)

BLUEPRINTS = (
    "claims.main.views",
    "claims.accounts.views",
    "claims.accounts.admin_views",
    "claims.regions.views",
    "claims.intake.views",
    "claims.intake.review_views",
    "claims.survey.views",
    "claims.workflow.views",
    "claims.regions.admin_views",
    "claims.insurance.views",
    "claims.approval.views",
    "claims.documents.views",
    "claims.valuation.views",
    "claims.valuation.admin_views",
    "claims.api.views",
)

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Assemble the app: configuration, extensions, blueprints, CLI and error handlers. No side effects."""
    from claims.config import load_config
    from claims.core.inputs import BoundedJSONProvider, CleanRequest, install_url_converters
    from claims.core.throttle import init_throttling
    from claims.errors import register_error_handlers
    from claims.extensions import babel, csrf, db, migrate
    from claims.web import register_request_hooks, register_template_helpers, select_locale, select_timezone

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    app.request_class = CleanRequest  # every query and form value through the one input filter
    install_url_converters(app)  # and every URL part: before the blueprints add their routes
    app.json = BoundedJSONProvider(app)  # JSON bodies: nesting bounded, strings cleaned
    app.config.update(load_config(app.instance_path, config))
    importlib.import_module("claims.models")
    for module in TRANSITION_MODULES:
        importlib.import_module(module)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    register_request_hooks(app)  # before CSRF, so an expired session is known when the token check fails
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, timezone_selector=select_timezone, default_translation_directories=str(Path(__file__).parent / "translations")
    )
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
    init_throttling(app)  # after the blueprints: it applies its table of limits to their views
    register_template_helpers(app)
    register_error_handlers(app)
    from claims.cli import register_cli

    register_cli(app)
    with app.app_context():
        from claims.core.db import configure_engine

        configure_engine(db.engine)
    return app
