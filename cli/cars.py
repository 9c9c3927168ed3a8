"""`pitstop cars`: each car's own broker account (user = VIN), and the services' accounts."""

from __future__ import annotations

from pathlib import Path

import typer

cars_app = typer.Typer(
    help="Broker accounts: a car publishes only as itself. Reload Mosquitto (SIGHUP) after.",
    no_args_is_help=True,
)

DIR_HELP = "Directory of Mosquitto's passwd and acl files (default: <PITSTOP_HOME>/broker-accounts)"
URL_HELP = "Broker URL the car connects to, e.g. mqtts://broker.example.com:8883?ca=/etc/ca.pem"


def _accounts(directory: str | None):
    from core.broker_auth import BrokerAccounts
    from core.settings import get_settings

    return BrokerAccounts(Path(directory or get_settings().home / "broker-accounts")).ensure()


def _show(credentials, broker_url: str | None, accounts) -> None:
    typer.echo(f"username: {credentials.username}")
    typer.echo(f"password: {credentials.password}")
    if broker_url:
        typer.echo(f"url: {credentials.url(broker_url)}")
    typer.echo(
        f"stored hashed in {accounts.password_file}; the password is shown only now. "
        "Reload the broker (kill -HUP <mosquitto pid>) to apply."
    )


def _fail(exc: Exception) -> None:
    typer.echo(str(exc), err=True)
    raise typer.Exit(2)


@cars_app.command("provision")
def provision(
    vin: str = typer.Argument(..., help="The car's VIN: its MQTT user name"),
    directory: str | None = typer.Option(None, "--dir", help=DIR_HELP),
    broker_url: str | None = typer.Option(None, "--broker-url", help=URL_HELP),
) -> None:
    """Give the car a new random password (an old one stops working)."""
    from core.broker_auth import AccountError

    accounts = _accounts(directory)
    try:
        _show(accounts.provision_car(vin), broker_url, accounts)
    except AccountError as exc:
        _fail(exc)


@cars_app.command("revoke")
def revoke(
    vin: str = typer.Argument(..., help="The car's VIN"),
    directory: str | None = typer.Option(None, "--dir", help=DIR_HELP),
) -> None:
    """Remove the car's account, e.g. for a stolen or replaced dongle."""
    from core.broker_auth import AccountError

    accounts = _accounts(directory)
    try:
        accounts.revoke(vin.strip().upper())
    except AccountError as exc:
        _fail(exc)
    typer.echo(f"revoked {vin}; reload the broker (kill -HUP <mosquitto pid>) to apply")


@cars_app.command("service")
def service(
    username: str = typer.Argument(..., help="pitstop-ingest, pitstop-api or pitstop-monitor"),
    directory: str | None = typer.Option(None, "--dir", help=DIR_HELP),
    broker_url: str | None = typer.Option(None, "--broker-url", help=URL_HELP),
) -> None:
    """Give a service account a new random password."""
    from core.broker_auth import AccountError

    accounts = _accounts(directory)
    try:
        _show(accounts.provision_service(username), broker_url, accounts)
    except AccountError as exc:
        _fail(exc)
