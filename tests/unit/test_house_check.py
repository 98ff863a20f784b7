"""The layout check `make lint` runs (tools/check_house.py), on fixture trees of real files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tools" / "check_house.py"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _check(root: Path, *packages: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECK), "--root", str(root), *packages],
                          check=False, capture_output=True, text=True, timeout=60, cwd=root)


def test_names_the_circle_in_order_and_the_module_over_500_lines(tmp_path: Path) -> None:
    _write(tmp_path, {
        "tangled/__init__.py": "",
        "tangled/a.py": '"""a"""\n\nfrom tangled import b\n',
        "tangled/b.py": '"""b"""\n\n\ndef f():\n    from tangled.a import g\n    return g\n',
        "tangled/big.py": "x = 1\n" * 501,
        "tangled/fits.py": "x = 1\n" * 500,
        "tangled/sub/__init__.py": "",
        "tangled/sub/leaf.py": "from tangled import a\n",
    })
    done = _check(tmp_path, "tangled")
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        "import circle: tangled.a -> tangled.b -> tangled.a",
        "  tangled/a.py:3: from tangled import b",
        "  tangled/b.py:5: from tangled.a import g",
        "tangled/big.py: 501 lines (limit 500)",
        "check_house: 2 problem(s)",
    ]


def test_a_circle_through_a_package_and_across_packages(tmp_path: Path) -> None:
    _write(tmp_path, {
        "one/__init__.py": "from one import inner\n",
        "one/inner.py": "import two.x\n",
        "two/__init__.py": "",
        "two/x.py": "from one import something\n",
    })
    done = _check(tmp_path, "one", "two")
    assert done.returncode == 1
    assert "import circle: one -> one.inner -> two.x -> one" in done.stderr
    assert "  two/x.py:1: from one import something" in done.stderr


def test_passes_on_a_clean_tree(tmp_path: Path) -> None:
    _write(tmp_path, {
        "clean/__init__.py": "",
        "clean/a.py": "from clean import b\n",
        "clean/b.py": "import json\n",
        "clean/fits.py": "x = 1\n" * 500,
    })
    done = _check(tmp_path, "clean")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "check_house: clean: no import circle, no module over 500 lines\n"


def test_a_folder_that_is_not_a_package_is_named(tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    done = _check(tmp_path, "loose")
    assert done.returncode == 1
    assert f"{tmp_path / 'loose'}: not a package (no __init__.py)" in done.stderr


def test_the_project_has_no_import_circle() -> None:
    # CI runs `make test`: the circles are checked there too, the line limit in `make lint`.
    from tools.check_house import PACKAGES, circles

    assert circles(ROOT, PACKAGES) == []
