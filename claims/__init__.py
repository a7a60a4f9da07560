"""Compensation claims for damage done by wild animals: the Flask application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from claims import models  # noqa: F401  (every table in the metadata, for Alembic)
from claims.accounts import admin_views as accounts_admin_views
from claims.accounts import views as accounts_views
from claims.api import admin_views as api_admin_views
from claims.api import views as api_views
from claims.approval import budget_views
from claims.approval import views as approval_views
from claims.cli import register_cli
from claims.config import load_config
from claims.core import ROOT
from claims.core.db import configure_engine
from claims.core.inputs import BoundedJSONProvider, CleanRequest, install_url_converters
from claims.core.jobs import init_jobs
from claims.core.throttle import init_throttling
from claims.documents import views as documents_views
from claims.errors import register_error_handlers
from claims.extensions import babel, csrf, db, migrate
from claims.insurance import views as insurance_views
from claims.intake import review_views as intake_review_views
from claims.intake import views as intake_views
from claims.jobs import JOBS
from claims.main import jobs_views
from claims.main import views as main_views
from claims.regions import admin_views as regions_admin_views
from claims.regions import views as regions_views
from claims.reports import export_views, ledger_views
from claims.reports import views as reports_views
from claims.survey import incident_views
from claims.survey import views as survey_views
from claims.valuation import admin_views as valuation_admin_views
from claims.valuation import views as valuation_views
from claims.web import register_request_hooks, register_template_helpers, select_locale, select_timezone
from claims.workflow import views as workflow_views

BLUEPRINTS = (
    main_views.bp,
    accounts_views.bp,
    accounts_admin_views.bp,
    regions_views.bp,
    intake_views.bp,
    intake_review_views.bp,
    incident_views.bp,
    survey_views.bp,
    workflow_views.bp,
    regions_admin_views.bp,
    insurance_views.bp,
    approval_views.bp,
    documents_views.bp,
    valuation_views.bp,
    valuation_admin_views.bp,
    api_views.bp,
    api_admin_views.bp,
    jobs_views.bp,
    export_views.bp,
    reports_views.bp,
    ledger_views.bp,
    budget_views.bp,
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Assemble the app: configuration, extensions, blueprints, CLI and error handlers. No side effects."""

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
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    register_request_hooks(app)  # before CSRF, so an expired session is known when the token check fails
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, timezone_selector=select_timezone, default_translation_directories=str(Path(__file__).parent / "translations")
    )
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    csrf.exempt(api_views.resources)  # bearer tokens, never a cookie: nothing a browser sends by itself
    api_views.register_api(app)  # the token API's resources and their OpenAPI document
    init_throttling(app)  # after the blueprints: it applies its table of limits to their views
    register_template_helpers(app)
    register_error_handlers(app)
    register_cli(app)
    init_jobs(app, JOBS)
    with app.app_context():
        configure_engine(db.engine)
    return app
