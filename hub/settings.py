"""Process settings: defaults, then `/etc/soko-hub/hub.toml` (or SOKO_HUB_CONFIG), then SOKO_HUB_* variables.

Every field carries its description; `docs/settings.md` documents each one and a test keeps the
two in step. Store-level settings (name, time zone, currencies) are reference data in the
database, not here.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

import msgspec

ENV_PREFIX = "SOKO_HUB_"
DEFAULT_CONFIG_FILE = Path("/etc/soko-hub/hub.toml")


def _doc(text: str, **bounds: Any) -> msgspec.Meta:
    return msgspec.Meta(description=text, **bounds)


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Everything the hub process needs to start; passed to `create_app`."""

    data_dir: Annotated[str, _doc("Directory holding hub.db, backups and the instance lock.")] = "./var"
    host: Annotated[str, _doc("Address the HTTP server binds (the image sets 0.0.0.0).")] = "127.0.0.1"
    port: Annotated[int, _doc("TCP port of the server (the image uses 443).", ge=1, le=65535)] = 8443
    tls: Annotated[
        bool, _doc("Serve HTTPS with the hub's own key and certificate; false is a plain-HTTP "
                   "development mode that the hub announces loudly.")
    ] = True
    tls_dir: Annotated[
        str, _doc("Where the hub keeps its TLS key and certificate; empty means <data_dir>/tls.")
    ] = ""
    log_level: Annotated[Literal["debug", "info", "warning", "error"], _doc("Log level: debug, info, warning or error.")] = "info"
    reader_connections: Annotated[
        int, _doc("Read-only SQLite connections (threads) serving queries.", ge=1, le=32)
    ] = 3
    max_body_bytes: Annotated[
        int, _doc("Largest request body accepted, in bytes; larger gets 413.", ge=1024, le=256 * 1024 * 1024)
    ] = 2 * 1024 * 1024
    access_token_ttl_s: Annotated[
        int, _doc("Lifetime of an access token issued at login, in seconds.", ge=60, le=86400)
    ] = 3600
    refresh_token_ttl_s: Annotated[
        int, _doc("Lifetime of a refresh token, in seconds.", ge=300, le=365 * 86400)
    ] = 30 * 86400
    login_attempts: Annotated[
        int, _doc("Failed logins allowed per username and per client address within the window.", ge=1, le=1000)
    ] = 5
    login_window_s: Annotated[
        int, _doc("Window of the login rate limit, in seconds.", ge=1, le=86400)
    ] = 300
    kdf_time_cost: Annotated[
        int, _doc("Argon2id iterations for passwords and PINs.", ge=1, le=20)
    ] = 2
    kdf_memory_kib: Annotated[
        int, _doc("Argon2id memory per hash, in KiB (19456 is the OWASP minimum).", ge=8, le=1024 * 1024)
    ] = 19456
    backup_dir: Annotated[
        str, _doc("Where `backup create` writes; empty means <data_dir>/backups.")
    ] = ""
    mdns: Annotated[
        bool, _doc("Advertise the hub over mDNS (_soko-hub._tcp) once HTTP listens, and browse "
                   "for network printers; false turns both off.")
    ] = True
    mdns_interfaces: Annotated[
        str, _doc("Where mDNS runs: \"lan\" is every LAN IPv4 interface (followed as addresses "
                  "change); otherwise a comma-separated list of IPv4 addresses, e.g. 127.0.0.1.")
    ] = "lan"
    scanners: Annotated[
        str, _doc("Scanners read besides those found by udev, comma-separated URLs: "
                  "serial:///dev/ttyACM0?baudrate=9600 or hid:///dev/input/event3.")
    ] = ""
    scanner_autodetect: Annotated[
        bool, _doc("Find USB barcode scanners through udev and follow them as they are plugged in and out.")
    ] = True

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def db_path(self) -> Path:
        return self.data_path / "hub.db"

    @property
    def backup_path(self) -> Path:
        return Path(self.backup_dir) if self.backup_dir else self.data_path / "backups"

    @property
    def tls_path(self) -> Path:
        return Path(self.tls_dir) if self.tls_dir else self.data_path / "tls"

    @property
    def lock_path(self) -> Path:
        return self.data_path / "hub.lock"


class SettingsError(ValueError):
    """A setting is unknown or has a value it cannot take."""


def setting_docs() -> dict[str, str]:
    """Name -> description of every setting, read from the struct itself."""
    docs = {}
    for field in msgspec.inspect.type_info(Settings).fields:
        meta = field.type
        extra = meta.extra_json_schema if isinstance(meta, msgspec.inspect.Metadata) else None
        docs[field.name] = (extra or {}).get("description", "")
    return docs


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None, **overrides: Any
) -> Settings:
    """Build Settings from defaults, the TOML file, SOKO_HUB_* variables and explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or Path(env.get(ENV_PREFIX + "CONFIG", "") or DEFAULT_CONFIG_FILE)
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text()))
        except tomllib.TOMLDecodeError as err:
            raise SettingsError(f"{path}: not valid TOML: {err}") from err
    names = {f.name for f in msgspec.structs.fields(Settings)}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key == ENV_PREFIX + "CONFIG":
            continue
        name = key[len(ENV_PREFIX):].lower()
        if name not in names:
            raise SettingsError(f"{key}: no such setting (see docs/settings.md)")
        values[name] = raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as err:
        raise SettingsError(f"invalid setting: {err}") from err
