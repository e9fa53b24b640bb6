"""The one place that hides the credentials a web address may carry (user:password@).

Addresses come from reporters, pages and configuration; any of them may hold a user name
and password, and none of those may reach a message, a log, provenance or the UI.
"""

from __future__ import annotations

import re
import urllib.parse

# Up to the last "@" of the authority, as urlsplit reads it: a password may hold an "@".
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*:)?//[^/?#]*@", re.IGNORECASE)
UNREADABLE = "(unreadable address)"


def public_url(url: str | None, *, origin_only: bool = False) -> str:
    """The address without its user:password@ part, for messages and provenance.

    `origin_only` keeps just scheme://host:port (for a model endpoint, whose path is of no
    use to a reader). An empty or missing address gives ""; with `origin_only`, one that
    cannot be read gives "(unreadable address)", never the raw text.
    """
    if not url or not url.strip():
        return ""
    url = _USERINFO.sub(lambda m: f"{m.group(1) or ''}//", url.strip())
    if not origin_only:
        return url
    try:
        parts = urllib.parse.urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return UNREADABLE
    if not host or not parts.scheme:
        return UNREADABLE
    host = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
