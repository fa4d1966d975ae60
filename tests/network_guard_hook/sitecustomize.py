"""Guards every Python process started with EURO_POST_NETWORK_GUARD set (see tests/network_guard.py)."""

import os

if os.environ.get("EURO_POST_NETWORK_GUARD"):
    import importlib.util
    import sys
    from pathlib import Path

    # Loaded by file and registered under its own name, so that a later `import network_guard`
    # (tests/conftest.py in a nested pytest) finds this same module instead of patching twice.
    _spec = importlib.util.spec_from_file_location("network_guard", Path(__file__).resolve().parent.parent / "network_guard.py")
    _guard = importlib.util.module_from_spec(_spec)
    sys.modules["network_guard"] = _guard
    _spec.loader.exec_module(_guard)
    _guard.install(os.environ["EURO_POST_NETWORK_GUARD"])
