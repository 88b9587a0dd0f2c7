"""Numbered schema migrations. Append only: never edit a released step."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: sources, items, fetch log, publications
    """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        category TEXT NOT NULL,          -- JSON array of levels
        author TEXT NOT NULL,
        interval_minutes INTEGER NOT NULL DEFAULT 60,
        revision INTEGER NOT NULL DEFAULT 1,
        etag TEXT,
        last_modified TEXT,
        last_attempt INTEGER,            -- Unix seconds, UTC
        last_success INTEGER,
        last_status INTEGER,
        last_error TEXT,
        error_count INTEGER NOT NULL DEFAULT 0,
        next_due INTEGER
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        identity TEXT NOT NULL,
        guid TEXT,
        link TEXT,
        title TEXT NOT NULL,
        content TEXT NOT NULL,
        author TEXT,
        cover TEXT,
        published INTEGER,               -- NULL: the feed gave no usable date
        date INTEGER NOT NULL,           -- published, else first_seen: what readers see
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        updated INTEGER,
        content_hash TEXT NOT NULL,
        revision INTEGER NOT NULL DEFAULT 1,
        UNIQUE (source_id, identity)
    );
    CREATE INDEX items_date ON items (date DESC, id DESC);
    CREATE INDEX items_source_date ON items (source_id, date DESC);
    CREATE INDEX items_first_seen ON items (first_seen);
    CREATE TABLE fetch_log (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        started INTEGER NOT NULL,
        status INTEGER,
        duration REAL NOT NULL,
        new INTEGER NOT NULL,
        updated INTEGER NOT NULL,
        error TEXT
    );
    CREATE INDEX fetch_log_source ON fetch_log (source_id, started DESC);
    CREATE TABLE publications (
        output TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id),
        revision INTEGER NOT NULL,
        source_revision INTEGER NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (output, item_id)
    );
    CREATE UNIQUE INDEX publications_path ON publications (output, path);
    """,
    # 2: the static site's build state: what each list page / feed was rendered from
    """
    CREATE TABLE IF NOT EXISTS site_pages (
        path TEXT PRIMARY KEY,
        digest TEXT NOT NULL
    );
    """,
    # 3: skip work on what did not change: the digest of a source's last body, and of each
    # entry as parsed (before sanitizing)
    """
    ALTER TABLE sources ADD COLUMN body_digest TEXT;
    ALTER TABLE items ADD COLUMN raw_hash TEXT;
    """,
    # 4: dates outside 0002-01-01 .. 9998-12-31 UTC (_parse/dates.py EARLIEST/LATEST), which
    # earlier versions stored and the site build then overflowed on, read as undated now
    """
    UPDATE items SET published = NULL, date = first_seen, revision = revision + 1
    WHERE date < -62104060800 OR date > 253370678400
       OR published < -62104060800 OR published > 253370678400;
    """,
    # 5 (full content, issue 14): the expansion of each item whose source has `expand:` (the
    # second feed its body comes from); images kept locally (`images: local`): each image URL
    # once, which items name it, and each item's body pointing at the local copies
    """
    CREATE TABLE IF NOT EXISTS expansions (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        digest TEXT,                     -- raw digest of the chosen entry last stored
        author TEXT,                     -- that entry's author (the answer's)
        expanded INTEGER,                -- last successful fetch, Unix s (NULL: never)
        failures INTEGER NOT NULL DEFAULT 0,
        next_try INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE TABLE IF NOT EXISTS media (
        url TEXT PRIMARY KEY,            -- the original URL, as the body names it
        hash TEXT,                       -- sha256 of the bytes (NULL: not downloaded yet)
        type TEXT,
        size INTEGER,
        width INTEGER,
        height INTEGER,
        thumb TEXT,                      -- 400x300 cover thumbnail below the media folder
        fetched INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        next_try INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE INDEX IF NOT EXISTS media_hash ON media (hash);
    CREATE TABLE IF NOT EXISTS item_media (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        PRIMARY KEY (item_id, url)
    );
    CREATE INDEX IF NOT EXISTS item_media_url ON item_media (url);
    CREATE TABLE IF NOT EXISTS settings_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    ALTER TABLE items ADD COLUMN local_content TEXT;
    ALTER TABLE items ADD COLUMN local_cover TEXT;
    ALTER TABLE items ADD COLUMN media_revision INTEGER;
    """,
    # 6: neighbours by (source, date, id) are two index seeks, however many items share a date
    # (the old index ended at the date, so ties were scanned and sorted)
    """
    CREATE INDEX IF NOT EXISTS items_source_date_id ON items (source_id, date, id);
    DROP INDEX IF EXISTS items_source_date;
    """,
    # 7: each site category's folder, given once and kept (unique per category path, compared
    # as a case-folding disk compares names)
    """
    CREATE TABLE IF NOT EXISTS site_categories (
        path TEXT PRIMARY KEY,           -- JSON array of the category's levels
        dir TEXT NOT NULL UNIQUE         -- its folder below the site root: c/tech/github
    );
    """,
    # 8: hot lists (issue 15): each item's rank history, kept as runs at one rank (a row per
    # item and rank, first and last refresh it held it), and each list's last refresh
    """
    CREATE TABLE hot_lists (
        source_id INTEGER PRIMARY KEY REFERENCES sources(id),
        first INTEGER NOT NULL,          -- Unix seconds of the first recorded refresh
        last INTEGER NOT NULL,           -- and of the last
        max_span INTEGER NOT NULL DEFAULT 0  -- longest run (last - first): bounds range scans
    );
    CREATE TABLE hot_runs (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        first INTEGER NOT NULL,          -- Unix seconds of the run's first refresh
        source_id INTEGER NOT NULL REFERENCES sources(id),
        rank INTEGER NOT NULL,
        last INTEGER NOT NULL,           -- and of its last
        heat INTEGER,                    -- last heat figure seen during the run
        cont INTEGER NOT NULL DEFAULT 0, -- 1: on the list at the refresh before `first` too
        PRIMARY KEY (item_id, first)
    ) WITHOUT ROWID;
    CREATE INDEX hot_runs_source_last ON hot_runs (source_id, last);
    """,
    # 9: filters (issue 15): an item the filters hold back is archived but not published
    """
    ALTER TABLE items ADD COLUMN filtered INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX items_filtered ON items (source_id) WHERE filtered = 1;
    """,
    # 10: pushes (issue 15): each notify target (by the digest of its URL) and what it was sent
    """
    CREATE TABLE notify_targets (
        target TEXT PRIMARY KEY,
        since INTEGER NOT NULL,          -- items first seen from then on are pushed
        done_id INTEGER NOT NULL DEFAULT 0  -- every item up to this id has been decided
    );
    CREATE TABLE notifications (
        target TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        state TEXT NOT NULL,             -- sent, skipped (no match) or failed
        attempts INTEGER NOT NULL DEFAULT 0,
        last_attempt INTEGER,
        error TEXT,
        PRIMARY KEY (target, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX notifications_item ON notifications (item_id);
    """,
    # 11: stories (issue 15): hot-list items about one event, across lists
    """
    CREATE TABLE story_items (
        item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        story INTEGER NOT NULL,          -- the item id that started the story
        score REAL NOT NULL              -- similarity to the item it joined (1: started it)
    );
    CREATE INDEX story_items_story ON story_items (story);
    """,
    # 12: leases (issue 16): a scheduler claims due sources for the workers; the state update
    # after a fetch is guarded by the lease token, so a late duplicate cannot overwrite it
    """
    ALTER TABLE sources ADD COLUMN lease_until INTEGER;
    ALTER TABLE sources ADD COLUMN lease_token TEXT;
    ALTER TABLE sources ADD COLUMN lease_tries INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX sources_lease ON sources (lease_token);
    """,
)
