"""Redis: the connection and the resource manager with its Lua scripts."""
