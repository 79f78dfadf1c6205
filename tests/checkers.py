"""Where the tests find the outside checkers: axe-core and the Nu HTML Checker.

`make test` installs both with npm into tests/vendor/ (see its package.json).
Run by hand without them, the tests that need them skip; in CI (CI=true) a
missing checker fails them instead, so a broken install is never green.
"""

import os
import shutil
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parent / "vendor" / "node_modules"
AXE = VENDOR / "axe-core" / "axe.min.js"
VNU = VENDOR / "vnu-jar" / "build" / "dist" / "vnu.jar"


def require(found, what):
    """Skip the test if ``found`` is false, or fail it in CI."""
    if found:
        return
    message = f"{what} is missing: run `make test-tools`"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def java():
    """The java command, required like a checker."""
    command = shutil.which("java")
    require(command, "Java (for the Nu HTML Checker)")
    return command
