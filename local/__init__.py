"""The local runtime: the stack of template.yaml on in-process moto. Never deployed."""

import sys
from pathlib import Path

# In Lambda the core layer is mounted on the path; here it is the source tree.
_CORE = str(Path(__file__).resolve().parent.parent / "layers" / "core")
if _CORE not in sys.path:
    sys.path.insert(0, _CORE)
