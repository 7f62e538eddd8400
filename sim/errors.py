"""Errors a user can act on."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A config value is not allowed.  The message names the key, the value and what is allowed."""

    def __init__(self, key: str, value: object, allowed: str):
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={_show(value)} is not allowed: {allowed}")


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)
