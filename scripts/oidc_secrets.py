"""Streamlit's sign-in secrets from FACTCHECK_OIDC_* environment variables, for run_app.sh.

Prints the secrets file Streamlit should read (`--secrets.files`), or "none" when no
identity provider is configured (the app then stays on 127.0.0.1). A hand-written
.streamlit/secrets.toml with an [auth] section is used as it is. The file written holds the
client secret: it is created readable by its owner only, in the cache folder.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REQUIRED = {
    "FACTCHECK_OIDC_METADATA_URL": "server_metadata_url",
    "FACTCHECK_OIDC_CLIENT_ID": "client_id",
    "FACTCHECK_OIDC_CLIENT_SECRET": "client_secret",
    "FACTCHECK_OIDC_REDIRECT_URI": "redirect_uri",
}


def _private_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    path.chmod(0o600)  # also when the file was there before


def secrets_file(env: dict[str, str], cache_dir: Path) -> Path | None:
    """The secrets file to use, written from `env` when it configures a provider."""
    given = {var: env.get(var, "").strip() for var in REQUIRED}
    if not any(given.values()):
        own = ROOT / ".streamlit" / "secrets.toml"
        if own.is_file() and "auth" in tomllib.loads(own.read_text()):
            return own
        return None
    missing = [var for var, value in given.items() if not value]
    if missing:
        raise SystemExit(f"error: sign-in needs {', '.join(missing)} as well")
    cookie = env.get("FACTCHECK_OIDC_COOKIE_SECRET", "").strip()
    if not cookie:  # kept, so a restart does not sign everyone out
        kept = cache_dir / "streamlit" / "cookie-secret"
        if not kept.is_file():
            _private_write(kept, secrets.token_hex(32))
        cookie = kept.read_text().strip()
    lines = ["[auth]", f"cookie_secret = {json.dumps(cookie)}"]
    lines += [f"{key} = {json.dumps(given[var])}" for var, key in REQUIRED.items()]
    path = cache_dir / "streamlit" / "secrets.toml"
    _private_write(path, "\n".join(lines) + "\n")
    return path


def main() -> None:
    from settings import Settings

    path = secrets_file(dict(os.environ), Settings().cache_dir)
    print(path if path else "none")


if __name__ == "__main__":
    main()
