"""Print one setting: ``python -m fate_lineage.conf get neo4j.uri``.

The local stack's scripts use this so that they read the same file and the same
environment overrides as the service.
"""

from __future__ import annotations

import sys
from dataclasses import asdict

from fate_lineage.conf.settings import load_settings
from fate_lineage.errors import ConfigError

USAGE = "usage: python -m fate_lineage.conf get KEY (dotted, e.g. neo4j.uri)"

# Dotted keys as the file spells them -> attribute paths on Settings.
_FILE_KEYS = {"fateflow": "service"}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "get":
        print(USAGE, file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    value: object = asdict(settings)
    for key in argv[1].split("."):
        if not isinstance(value, dict) or (key not in value and key not in _FILE_KEYS):
            print(f"unknown setting {argv[1]!r}; {USAGE}", file=sys.stderr)
            return 2
        value = value[_FILE_KEYS.get(key, key)]
    print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
