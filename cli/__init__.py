"""The ``flow`` command line, compatible with FATE Flow 1.7's client."""
