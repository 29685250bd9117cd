"""The response body every endpoint returns: ``{"retcode", "retmsg", "data"}``."""

from __future__ import annotations

from typing import Any

from fate_lineage.errors import RetCode

Response = tuple[dict[str, Any], int]


def success(data: Any = None, retmsg: str = "success", status: int = 200) -> Response:
    return envelope(RetCode.SUCCESS, retmsg, data), status


def envelope(retcode: int, retmsg: str, data: Any = None) -> dict[str, Any]:
    return {"retcode": retcode, "retmsg": retmsg, "data": data}
