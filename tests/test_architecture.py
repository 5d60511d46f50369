"""The domain never needs Qt: remix_desktop.core imports and works with PySide6 blocked."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import remix_desktop.core

BLOCK_QT = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt is blocked in this test: ' + name)
sys.meta_path.insert(0, Block())
import importlib
for name in sys.argv[1:]:
    importlib.import_module(name)
from remix_desktop.core.home import Home
from remix_desktop.core.library import Library
from remix_desktop.core.consent import Consent
import tempfile
with Library(Home(tempfile.mkdtemp())) as lib:
    print(Consent(lib).counts())
assert not any(m.startswith('PySide6') for m in sys.modules)
"""


def test_core_imports_and_runs_without_qt():
    modules = [f"remix_desktop.core.{m.name}"
               for m in pkgutil.iter_modules(remix_desktop.core.__path__)]
    assert "remix_desktop.core.consent" in modules
    result = subprocess.run([sys.executable, "-c", BLOCK_QT, *modules], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert "'videos': 0" in result.stdout


def test_import_contracts_hold():
    """import-linter: core never imports Qt; gui and cli sit above engine above core."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True,
                            cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout
