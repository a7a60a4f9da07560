"""API clients and tokens over the security world (tests/security/world.py): one token per kind of client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from claims.api import services
from claims.api.models import ClientKind, Scope
from claims.core.time import utcnow
from claims.extensions import db
from claims.insurance.models import Insurer
from claims.regions.models import Region
from tests.security.world import World, world_for

EVERY_SCOPE = [s.value for s in Scope]
READ = [Scope.CLAIMS_READ.value, Scope.STATISTICS_READ.value]
# token name -> (kind, insurer name or region code, scopes, the role of tests/security/world.py's SEES with the same scope)
CLIENTS = {
    "insurer": (ClientKind.INSURER, "中华联合财产保险股份有限公司益阳中心支公司", EVERY_SCOPE, "insurer"),
    "other_insurer": (ClientKind.INSURER, "另一家保险公司", EVERY_SCOPE, None),
    "nan": (ClientKind.PLATFORM, "430921", READ, "officer"),
    "chaling": (ClientKind.PLATFORM, "430224", READ, "admin_cl"),
    "province": (ClientKind.PLATFORM, "430000", READ, "admin"),
    "statistics_only": (ClientKind.INSURER, "中华联合财产保险股份有限公司益阳中心支公司", [Scope.STATISTICS_READ.value], None),
}


@dataclass
class ApiWorld:
    world: World
    tokens: dict[str, str]  # name -> the bearer secret


def make_token(app: Flask, name: str, days: int = 30) -> str:
    kind, owner, scopes, _role = CLIENTS[name]
    with app.app_context():
        insurer = region = None
        if kind == ClientKind.INSURER:
            insurer = db.session.execute(select(Insurer).where(Insurer.name == owner)).scalar_one_or_none()
            if insurer is None:
                insurer = Insurer(name=owner, short_name=owner[:4])
                db.session.add(insurer)
        else:
            region = db.session.execute(select(Region).where(Region.code == owner)).scalar_one()
        client = services.create_client(f"system {name}", kind, insurer=insurer, region=region, actor=None)
        issued = services.issue_token(client, scopes, utcnow() + timedelta(days=days), actor=None)
        db.session.commit()
        return issued.secret


@pytest.fixture
def api_world(app: Flask) -> ApiWorld:
    world = world_for(app)
    return ApiWorld(world, {name: make_token(app, name) for name in CLIENTS})


def call(client: FlaskClient, path: str, token: str | None, method: str = "GET", headers: dict[str, str] | None = None, **kwargs: object) -> TestResponse:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(path, method=method, headers={**auth, **(headers or {})}, **kwargs)
