"""fate-lineage: table lineage and resource accounting for federated learning.

The repository keeps its layers in top-level folders (``api/``, ``graph/``,
``cypher/``, ``resources/``, ``cli/``, ``conf/``). ``pyproject.toml`` installs
each of them as a subpackage of this one, for example ``fate_lineage.api``,
and this folder, ``core/``, as the package itself.
"""

from __future__ import annotations

__version__ = "0.1.0"
