"""The app's pages (run by `st.navigation` in app.py) and the helpers they share.

`check.py`, `history.py`, `archive.py` and `settings.py` are page scripts: Streamlit runs
them, nothing imports them. The modules they import: `common.py` (settings for the
session, archive/model/history, errors, safe text, sidebar), `report_view.py` (a checked
article: header, filter and sort, reading view), `comparison.py` (one claim beside its
passages) and `review_panel.py` (the reviewer's decision, the downloads).

The folder is not called `pages/`: Streamlit takes a folder of that name beside the entry
point for an old-style multipage app and runs its files without app.py's navigation and
sidebar (in AppTest on every run, in a server on its first run).
"""
