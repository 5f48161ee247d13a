"""Settings read once from the environment and checked at start-up."""

import os
from dataclasses import dataclass, field

US_HOST = "https://api.segment.io"
EU_HOST = "https://events.eu1.segmentapis.com"


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything the hub needs to know before it serves a request."""

    base_url: str
    label: str
    secret: str = field(repr=False)
    segment_host: str = US_HOST
    insecure_dev: bool = False
    max_body_bytes: int = 250 * 1024 * 1024
    keepalive_seconds: float = 20.0
    download_hosts: tuple[str, ...] = ()
    download_timeout_seconds: float = 780.0
    log_format: str = "json"
    upload_threads: int = 4
    segment_timeout_seconds: float = 15.0
    segment_max_retries: int = 6


def _number(env, name, default, kind=float):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        msg = f"{name} must be a number, got {raw!r}."
        raise ConfigError(msg) from None
    if value <= 0:
        msg = f"{name} must be greater than zero, got {raw!r}."
        raise ConfigError(msg)
    return value


def _required(env, name, hint):
    value = env.get(name, "").strip()
    if not value:
        msg = f"{name} is not set: {hint}"
        raise ConfigError(msg)
    return value


def load_settings(env=None):
    """Build Settings from environment variables, or raise ConfigError."""
    env = os.environ if env is None else env
    insecure = env.get("ACTION_HUB_INSECURE_DEV", "").strip() == "1"

    base_url = _required(
        env,
        "ACTION_HUB_BASE_URL",
        "set it to the public URL Looker uses to reach this hub, "
        "for example https://segment-hub.example.com.",
    ).rstrip("/")
    if not base_url.startswith(("http://", "https://")):
        msg = (
            f"ACTION_HUB_BASE_URL must start with https:// (or http:// for local "
            f"use), got {base_url!r}."
        )
        raise ConfigError(msg)

    label = _required(
        env,
        "ACTION_HUB_LABEL",
        "set it to the name Looker shows for this hub, for example 'Segment'.",
    )

    secret = env.get("ACTION_HUB_SECRET", "").strip()
    if not secret and not insecure:
        msg = (
            "ACTION_HUB_SECRET is not set: set it to a long random token and "
            "enter the same token when adding the hub in Looker. "
            "(ACTION_HUB_INSECURE_DEV=1 allows an empty token for local use only.)"
        )
        raise ConfigError(msg)

    host = env.get("SEGMENT_API_HOST", "").strip().rstrip("/") or US_HOST
    if not host.startswith(("http://", "https://")):
        msg = f"SEGMENT_API_HOST must be a URL such as {US_HOST} (got {host!r})."
        raise ConfigError(msg)
    if host.endswith("/v1"):
        msg = (
            f"SEGMENT_API_HOST must not end in /v1 (got {host!r}); "
            f"use the bare host, such as {EU_HOST}."
        )
        raise ConfigError(msg)

    hosts = env.get("ACTION_HUB_DOWNLOAD_HOSTS", "")
    download_hosts = tuple(h.strip().lower() for h in hosts.split(",") if h.strip())

    log_format = env.get("ACTION_HUB_LOG_FORMAT", "json").strip() or "json"
    if log_format not in ("json", "text"):
        msg = f"ACTION_HUB_LOG_FORMAT must be json or text (got {log_format!r})."
        raise ConfigError(msg)

    max_body_mb = _number(env, "ACTION_HUB_MAX_BODY_MB", 250.0)
    return Settings(
        base_url=base_url,
        label=label,
        secret=secret,
        segment_host=host,
        insecure_dev=insecure,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        keepalive_seconds=_number(env, "ACTION_HUB_KEEPALIVE_SECONDS", 20.0),
        download_hosts=download_hosts,
        download_timeout_seconds=_number(
            env, "ACTION_HUB_DOWNLOAD_TIMEOUT_SECONDS", 780.0
        ),
        log_format=log_format,
        upload_threads=_number(env, "SEGMENT_UPLOAD_THREADS", 4, int),
        segment_timeout_seconds=_number(env, "SEGMENT_TIMEOUT_SECONDS", 15.0),
        segment_max_retries=_number(env, "SEGMENT_MAX_RETRIES", 6, int),
    )
