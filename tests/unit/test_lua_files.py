"""Keep the ``.lua`` scripts, their headers and the names the code runs in step."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from fate_lineage.resources.manager import SCRIPTS, load_lua

REDIS_CALL = re.compile(r"redis\.call\('(\w+)',\s*([^,)]+)")


def lua_names() -> list[str]:
    return sorted(
        entry.name.removesuffix(".lua")
        for entry in resources.files("fate_lineage.resources").iterdir()
        if entry.name.endswith(".lua")
    )


def test_every_script_is_registered() -> None:
    assert lua_names() == sorted(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_header_lists_keys_args_return(name: str) -> None:
    header = [line for line in load_lua(name).splitlines() if line.startswith("--")]
    text = "\n".join(header)

    assert "KEYS[1]" in text
    assert "ARGV[1]" in text
    assert "Returns" in text


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_call_names_a_key_from_keys(name: str) -> None:
    calls = REDIS_CALL.findall(load_lua(name))

    assert calls
    # A key built inside a script would escape the shared hash tag, and
    # Redis Cluster could not route the script.
    assert [key for _, key in calls if not key.startswith("KEYS[")] == []
