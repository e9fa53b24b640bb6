"""The History file's schema: numbered steps from an empty file to the current version
(PRAGMA user_version), run in one transaction by review.history. A step is never edited
once released; a change is a new step that keeps every row."""

SCHEMA_VERSION = 2

# Statements that take the file from version n-1 to n (PRAGMA user_version).
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE checks (
            id TEXT PRIMARY KEY,
            article_sha256 TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            url TEXT,
            created TEXT NOT NULL,  -- ISO 8601 in UTC, fixed width, so it sorts as text
            report TEXT NOT NULL    -- Report JSON
        )""",
        "CREATE INDEX checks_by_created ON checks (created DESC)",
        """CREATE TABLE reviews (
            check_id TEXT NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
            claim_id TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('ACCEPTED', 'OVERRULED')),
            verdict TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            reviewed_at TEXT NOT NULL,
            PRIMARY KEY (check_id, claim_id)
        )""",
    ],
    # Each check its own record. Rows from version 1 keep their ids (their cache keys, so
    # links and reviews stay) and belong to no session ('').
    2: [
        "ALTER TABLE checks ADD COLUMN cache_key TEXT NOT NULL DEFAULT ''",
        "UPDATE checks SET cache_key = id",
        "ALTER TABLE checks ADD COLUMN owner TEXT NOT NULL DEFAULT ''",  # browser session
        "ALTER TABLE checks ADD COLUMN user_id TEXT",  # the signed-in person, if any
        "CREATE INDEX checks_by_owner ON checks (owner, created DESC)",
        "CREATE INDEX checks_by_user ON checks (user_id, created DESC)",
    ],
}
