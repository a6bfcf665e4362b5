"""The rule for a partner API's address, shared by the workspace config and the HTTP puller."""

from __future__ import annotations

from urllib.parse import urlsplit


def check_base_url(base_url: str) -> None:
    """Raise ValueError unless `base_url` is a plain http(s) address with a host.

    Messages name the field only: a base_url may hold a user name and password.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("base_url must be an http:// or https:// address")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("base_url must not hold a user name, password, query or fragment")
