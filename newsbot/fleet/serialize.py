"""Requests to and from JSON for the shared frontier, instead of scrapy-redis' default pickle.

A pickle from Redis runs code when loaded; JSON only gives data back. `Request.to_dict` names the
callback and errback by method name, and the spider turns them back into its own methods.
Bytes (headers, body) travel as base64. A request whose meta holds something JSON cannot carry
fails loudly on the way in rather than being pickled.
"""

from __future__ import annotations

import base64
import json
from typing import Any

_BYTES = "__bytes__"


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {_key(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot put {type(value).__name__} in the shared frontier: {value!r}")


def _key(key: Any) -> str:
    if isinstance(key, bytes):
        # Header names: keep them apart from text keys so they come back as bytes.
        return _BYTES + base64.b64encode(key).decode("ascii")
    if isinstance(key, str):
        return key
    raise TypeError(f"cannot put a {type(key).__name__} key in the shared frontier")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and _BYTES in value:
            return base64.b64decode(value[_BYTES])
        return {_unkey(k): _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _unkey(key: str) -> str | bytes:
    if key.startswith(_BYTES):
        return base64.b64decode(key[len(_BYTES) :])
    return key


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(_encode(obj), separators=(",", ":"), sort_keys=True)


def loads(data: bytes | str) -> dict[str, Any]:
    return _decode(json.loads(data))
