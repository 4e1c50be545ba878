"""`make serve`: serve site/ on 127.0.0.1 (search needs HTTP: browsers refuse its index from file://).

The standard library's http.server, with the two mistakes a reader makes named in words before
anything is served: a port that is not a number from 1 to 65535, and a port already in use.

Usage: python3 tools/serve.py PORT [SITE_DIR]
"""
from __future__ import annotations

import functools
import http.server
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Serve the site until Ctrl-C; 2 with a message when the port or the folder will not do.

    Parameters
    ----------
    argv : list of str
        ``[PORT]`` or ``[PORT, SITE_DIR]`` (default site/).

    Returns
    -------
    int
        0 after Ctrl-C, 2 for a bad port, a port in use or no built site.
    """
    raw = argv[0] if argv else "8000"
    site = Path(argv[1] if len(argv) > 1 else "site")
    try:
        port = int(raw) if raw.isascii() else 0  # int() reads other scripts' digits too
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        print(f"make serve: PORT={raw!r} is not a port; expected a whole number from 1 to 65535, "
              "e.g. make serve PORT=8001", file=sys.stderr)
        return 2
    if not (site / "index.html").is_file():
        print(f"make serve: no {site}/ yet; run make report first", file=sys.stderr)
        return 2
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        why = ("ports below 1024 need administrator rights" if isinstance(exc, PermissionError)
               else "another program may use it")
        other = port + 1 if 1024 <= port < 65535 else 8000
        print(f"make serve: cannot serve on 127.0.0.1:{port} ({exc.strerror or exc}); {why}: "
              f"choose another port, e.g. make serve PORT={other}", file=sys.stderr)
        return 2
    print(f"serving {site}/ at http://127.0.0.1:{port}/ (Ctrl-C stops it)", flush=True)
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("\nmake serve: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
