"""`make serve` (tools/serve.py): a port in use or a word for a port is one message, not a traceback,
and nothing claims to be serving; a free port serves the site."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import REPO

SERVE = [sys.executable, str(REPO / "tools" / "serve.py")]


@pytest.fixture
def site(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<!doctype html><title>t</title>served", encoding="utf-8")
    return tmp_path / "site"


def test_a_port_in_use_is_named_and_nothing_claims_to_serve(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = subprocess.run([*SERVE, str(port), str(site)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in proc.stderr and "make serve PORT=" in proc.stderr
    assert "serving" not in proc.stdout


@pytest.mark.parametrize("port", ["abc", "0", "70000", "", "\u0663"])
def test_a_port_that_is_not_a_port_is_named(site, port):
    proc = subprocess.run([*SERVE, port, str(site)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and f"PORT={port!r} is not a port" in proc.stderr and "Traceback" not in proc.stderr


def test_no_site_yet_says_to_build_it(tmp_path):
    proc = subprocess.run([*SERVE, "8000", str(tmp_path / "site")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "run make report first" in proc.stderr


def test_a_free_port_serves_the_site(site):
    with socket.socket() as probe:  # a port free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*SERVE, str(port), str(site)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith(f"serving {site}/ at http://127.0.0.1:{port}/")
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as resp:
                    assert b"served" in resp.read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_port_refused_for_rights_is_not_called_in_use(site, monkeypatch, capsys):
    """Below 1024 a user without rights is refused (PermissionError), which is not another program's port."""
    import http.server

    from conftest import load_tool

    serve = load_tool("serve")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(http.server, "ThreadingHTTPServer", refuse)
    assert serve.main(["80", str(site)]) == 2
    err = capsys.readouterr().err
    assert "ports below 1024 need administrator rights" in err and "PORT=8000" in err and "another program" not in err
