"""Files that `flow` commands read: FATE confs and DSLs in JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click


def read_json_object(path: Path) -> dict[str, Any]:
    """Parse a JSON file whose top level is an object, or raise a UsageError."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise click.UsageError(f"{path} is not UTF-8 text: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        raise click.UsageError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}"
        ) from exc
    if not isinstance(document, dict):
        raise click.UsageError(f"{path} must contain a JSON object at the top level")
    return document
