"""`flask api ...`: API clients and tokens for deployment scripts (docs/api.md)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from claims.api import services
from claims.api.models import ApiClient, ApiToken, ClientKind, Scope
from claims.core.time import utcnow
from claims.extensions import db
from claims.insurance.models import Insurer
from claims.regions.models import Region

api_cli = AppGroup("api", help="API clients and their tokens.")
tokens_cli = AppGroup("tokens", help="Issue, rotate and revoke tokens.")
api_cli.add_command(tokens_cli)


def _client(name: str, insurer_name: str | None, region_code: str | None) -> ApiClient:
    """The client of this name, registered first when it does not exist yet."""
    client = db.session.execute(select(ApiClient).where(ApiClient.name == name)).scalar_one_or_none()
    if client is not None:
        differs = (insurer_name and (client.insurer is None or client.insurer.name != insurer_name)) or (
            region_code and (client.region is None or client.region.code != region_code)
        )
        if differs:  # never a token for a wider (or other) client than the one asked for
            raise click.ClickException(f"the client {name!r} exists with another insurer or region; name a new client")
        return client
    insurer = db.session.execute(select(Insurer).where(Insurer.name == insurer_name)).scalar_one_or_none() if insurer_name else None
    region = db.session.execute(select(Region).where(Region.code == region_code)).scalar_one_or_none() if region_code else None
    if (insurer_name and insurer is None) or (region_code and region is None):
        raise click.ClickException("unknown insurer or region code")
    kind = ClientKind.INSURER if insurer is not None else ClientKind.PLATFORM
    return services.create_client(name, kind, insurer=insurer, region=region, actor=None)


@tokens_cli.command("create")
@click.option("--client", "name", required=True, help="the system's name (registered if new)")
@click.option("--insurer", help="an insurer's full name: an insurer's system")
@click.option("--region", help="a region's division code (e.g. 430921): a government platform")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice([s.value for s in Scope]))
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366))
def create(name: str, insurer: str | None, region: str | None, scopes: tuple[str, ...], days: int) -> None:
    """Issue a token and print it (the only copy) on standard output."""
    try:
        issued = services.issue_token(_client(name, insurer, region), scopes, utcnow() + timedelta(days=days), actor=None)
    except services.ApiError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(issued.secret)


def _token(key_id: str) -> ApiToken:
    token = db.session.execute(select(ApiToken).where(ApiToken.key_id == key_id.partition(".")[0])).scalar_one_or_none()
    if token is None:
        raise click.ClickException("no such token")
    return token


@tokens_cli.command("rotate")
@click.argument("key_id")
@click.option("--revoke-old", is_flag=True, help="end the old token at once instead of in an hour")
def rotate(key_id: str, revoke_old: bool) -> None:
    """Issue a replacement for the token KEY_ID (the part before the dot) and print it."""
    try:
        issued = services.rotate_token(_token(key_id), revoke_old=revoke_old, actor=None)
    except services.ApiError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(issued.secret)


@tokens_cli.command("revoke")
@click.argument("key_id")
def revoke(key_id: str) -> None:
    services.revoke_token(_token(key_id), actor=None)
    db.session.commit()
    click.echo("revoked")


@tokens_cli.command("list")
def list_tokens() -> None:
    for token in db.session.execute(select(ApiToken).order_by(ApiToken.id)).scalars():
        state = "revoked" if token.revoked_at else ("valid" if token.is_valid(utcnow()) else "expired")
        click.echo(f"{token.key_id}\t{token.client.name}\t{','.join(token.scopes)}\t{token.expires_at.isoformat()}\t{state}")


@api_cli.command("purge-keys")
@click.option("--days", type=click.IntRange(1, 3650), default=services.IDEMPOTENCY_DAYS, show_default=True, help="keep the answers of this many days")
def purge_keys(days: int) -> None:
    """Forget the stored first answers of writes older than --days (their Idempotency-Keys): daily, from cron."""
    count = services.purge_idempotent_responses(days)
    db.session.commit()
    click.echo(f"forgot {count} stored answers older than {days} days")
