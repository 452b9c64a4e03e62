"""The wheel is what a user installs: build it, install it into a clean virtual environment
(not editable, nothing from this source tree on the path) and run the server from there.

Slow-ish (a venv and a pip install of the locked runtime packages from pip's cache or the
index), so one module-scoped wheel and venv serve every test here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from support.irc_client import IrcClient
from support.server import RunningServer, start_server
from support.timeouts import TIMEOUT

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "chatroom"
UV = ROOT / ".tools" / "bin" / "uv"


def _run(*argv: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT * 20
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build --wheel`` with the locked build backend (no download), from a copy
    of what a clone holds, so no ``build/`` or ``*.egg-info`` left in the work tree counts."""
    tree = tmp_path_factory.mktemp("checkout")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, tree / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", tree / "src", ignore=skip)
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", out, cwd=tree)
    (found,) = out.glob("chatroom-*-py3-none-any.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel and the locked runtime packages; returns its bin/."""
    if not UV.exists():
        pytest.skip("needs the project's uv (.tools/bin/uv): run the tests with `make test`")
    home = tmp_path_factory.mktemp("venv")
    venv.create(home / "env", with_pip=True)
    bin_dir = home / "env" / "bin"
    # The runtime pins of uv.lock, with hashes, as a requirements file pip understands.
    requirements = home / "requirements.txt"
    _run(
        UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--quiet",
        "--output-file", requirements, cwd=ROOT,
    )  # fmt: skip
    pip = [bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(*pip, "--require-hashes", "-r", requirements)
    _run(*pip, "--no-deps", wheel)
    return bin_dir


def test_wheel_holds_the_package_and_the_web_page_but_not_the_bench(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        "chatroom/" + path.relative_to(SOURCE).as_posix()
        for path in SOURCE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert wanted - names == set(), "files of src/chatroom missing from the wheel"
    assert "chatroom/web/static/index.html" in names
    tops = {name.split("/")[0] for name in names}
    assert tops == {"chatroom", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    assert not any(name.startswith(("bench/", "tests/")) for name in names)


def test_installed_wheel_serves_the_page_and_relays_a_line(installed: Path, tmp_path: Path) -> None:
    # It runs from the venv's site-packages, not from this source tree.
    where = _run(installed / "python", "-c", "import chatroom; print(chatroom.__file__)")
    assert str(installed.parent) in where and str(ROOT) not in where
    server: RunningServer = start_server(tmp_path, command=[str(installed / "chatroom")])
    try:
        page = urllib.request.urlopen(f"http://127.0.0.1:{server.web_port}/", timeout=TIMEOUT)
        html = page.read().decode()
        assert "<title>chatroom</title>" in html and 'src="js/app.js"' in html
        script = urllib.request.urlopen(
            f"http://127.0.0.1:{server.web_port}/js/client.js", timeout=TIMEOUT
        )
        assert script.status == 200 and b"WebSocket" in script.read()
        alice = IrcClient(server.port).register("alice")
        bob = IrcClient(server.port).register("bob")
        alice.join("#lobby")
        bob.join("#lobby")
        alice.send("PRIVMSG #lobby :hello from the wheel")
        line = bob.expect("PRIVMSG")
        assert line.params == ["#lobby", "hello from the wheel"]
        assert line.hostmask is not None and line.hostmask.nickname == "alice"
        alice.close()
        bob.close()
    finally:
        assert server.stop() == 0, server.log
    assert "Traceback" not in server.log
