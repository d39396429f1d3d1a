"""The portal's Jinja environment, made on the first page rendered (so starting the hub does not
import Jinja), and the time formatting its templates use.

Times are stored in UTC (hub.clock) and shown in the store's time zone (setting `store.timezone`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, Callable

from litestar.template.config import TemplateConfig

import hub
from hub.clock import UTC, parse_ts, utc_now
from hub.portal import registry


def store_zone(name: str | None) -> dt.tzinfo:
    """The store's time zone, or UTC when the setting is missing or unknown."""
    try:
        return zoneinfo.ZoneInfo(name) if name else UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return UTC


def local_time(stamp: str | dt.datetime | None, zone: dt.tzinfo, fmt: str = "%d %b %Y %H:%M") -> str:
    """A stored UTC stamp as the store's wall-clock time ("" for none)."""
    if not stamp:
        return ""
    moment = parse_ts(stamp) if isinstance(stamp, str) else stamp
    return moment.astimezone(zone).strftime(fmt)


def zone_label(zone: dt.tzinfo, when: dt.datetime | None = None) -> str:
    """"CAT" / "UTC": the zone's abbreviation at `when` (now by default)."""
    return (when or dt.datetime.now(UTC)).astimezone(zone).tzname() or str(zone)


def ago(stamp: str | dt.datetime | None, now: dt.datetime | None = None) -> str:
    """"just now", "1 minute ago", "3 hours ago", "2 days ago"; "in 5 days" for a future stamp ("" for none)."""
    if not stamp:
        return ""
    moment = parse_ts(stamp) if isinstance(stamp, str) else stamp
    seconds = ((now or utc_now()) - moment).total_seconds()
    if abs(seconds) < 60:
        return "just now" if seconds >= 0 else "in under a minute"
    count, unit = next((int(abs(seconds) // size), unit)
                       for size, unit in ((86_400, "day"), (3_600, "hour"), (60, "minute"))
                       if abs(seconds) >= size)
    text = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{text} ago" if seconds > 0 else f"in {text}"


def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape

    loaders = {prefix: FileSystemLoader(str(path)) for prefix, path in registry.template_dirs().items()}
    env = Environment(
        loader=PrefixLoader(loaders),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,  # a typo in a template fails its test instead of rendering blank
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(version=hub.__version__, local_time=local_time, ago=ago)
    return env


class LazyJinjaEngine:
    """Litestar's Jinja engine, built on first use; the app only needs it once a page renders."""

    def __init__(self) -> None:
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from litestar.plugins.jinja import JinjaTemplateEngine

            self._engine = JinjaTemplateEngine.from_environment(environment())
        return self._engine

    def get_template(self, template_name: str) -> Any:
        return self.engine.get_template(template_name)

    def render_string(self, template_string: str, context: Any) -> str:
        return self.engine.render_string(template_string, context)

    def register_template_callable(self, key: str, template_callable: Callable[..., Any]) -> None:
        self.engine.register_template_callable(key, template_callable)


def template_config() -> TemplateConfig:
    return TemplateConfig(instance=LazyJinjaEngine())  # type: ignore[arg-type]
