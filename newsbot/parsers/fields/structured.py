"""Reading JSON-LD values the way every field needs them."""

from __future__ import annotations

from typing import Any


def ld_text(obj: dict[str, Any] | None, key: str) -> str | None:
    value = (obj or {}).get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@id") or value.get("name")
    return str(value) if isinstance(value, str | int | float) and str(value).strip() else None
