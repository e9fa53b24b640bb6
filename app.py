"""Streamlit UI for the fact-check assistant: the entry point and its pages.

Run with `streamlit run app.py` (or `bash scripts/run_app.sh`). This file only sets up the
pages with `st.navigation` and the sidebar every page shares; the pages are scripts in
`app_pages/` (check, history, archive, settings) and their shared helpers are in
`app_pages/common.py`; sign-in and roles are in `app_pages/auth.py`. (Not `pages/`: Streamlit treats a folder of that name beside the
entry point as an old-style multipage app and runs its files without this one.)
Everything they show comes from the packages: articles are read by `vectorstore`,
checked by `chains.pipeline.check_article`, reviews are kept by `review`.
Article, archive and model text is untrusted and is always shown escaped. Nothing runs
at import time: only `main()`, when Streamlit runs this file.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent

# (file in app_pages/, title, icon, url path); the first is the default page.
PAGES = [
    ("check.py", "Check", ":material/fact_check:", "check"),
    ("history.py", "History", ":material/history:", "history"),
    ("archive.py", "Archive", ":material/inventory_2:", "archive"),
    ("settings.py", "Settings", ":material/settings:", "settings"),
]


def pages() -> list:
    return [
        st.Page(HERE / "app_pages" / name, title=title, icon=icon, url_path=path, default=i == 0)
        for i, (name, title, icon, path) in enumerate(PAGES)
    ]


def main() -> None:
    from app_pages.auth import render_person, render_sign_in, sign_in_configured
    from app_pages.common import load_settings, render_sidebar

    st.set_page_config(page_title="Fact-check against the archive", page_icon="🔎", layout="wide")
    # With an identity provider configured, nothing but the sign-in page before sign-in.
    if sign_in_configured() and not st.user.is_logged_in:
        render_sign_in()
        return
    page = st.navigation(pages())
    settings = load_settings(show_error=False)  # the page says what is wrong
    if settings is not None:
        render_person(settings)
        render_sidebar(settings)
    page.run()


if __name__ == "__main__":
    main()
