"""The schema as a list of migrations; ``PRAGMA user_version`` counts how many have run.

Each entry moves a database from version N to N+1.  Never edit a released migration: add one.
"""

APPLICATION_ID = 0x544D524B  # "TMRK": marks a SQLite file as threadmark's

HUMAN_LINK_KINDS = ("rebuts", "supports", "undercuts", "rephrases")
STRUCTURAL_LINK_KINDS = ("replies_to", "quotes")
LINK_KINDS = HUMAN_LINK_KINDS + STRUCTURAL_LINK_KINDS

_LINK_KIND_CHECK = ", ".join(f"'{kind}'" for kind in LINK_KINDS)

MIGRATIONS: list[str] = [
    # 1: the first schema
    f"""
    CREATE TABLE threads (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        sha256 TEXT NOT NULL UNIQUE,
        threshold REAL NOT NULL,
        imported_at TEXT NOT NULL
    );
    CREATE TABLE clusters (
        id INTEGER PRIMARY KEY,
        thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        canonical_comment_id INTEGER NOT NULL
            REFERENCES comments(id) DEFERRABLE INITIALLY DEFERRED,
        parent_cluster_id INTEGER REFERENCES clusters(id),
        depth INTEGER NOT NULL DEFAULT 0,
        author TEXT,
        text TEXT NOT NULL,
        size INTEGER NOT NULL,
        method TEXT CHECK (method IN ('identity', 'exact', 'near')),
        is_tombstone INTEGER NOT NULL DEFAULT 0,
        UNIQUE (thread_id, seq)
    );
    CREATE INDEX clusters_parent ON clusters (parent_cluster_id);
    -- Inserting a comment checks the deferred key from clusters to it: without this index
    -- every insert scans clusters, and an import is quadratic.
    CREATE INDEX clusters_canonical ON clusters (canonical_comment_id);
    CREATE INDEX clusters_tombstones ON clusters (thread_id) WHERE is_tombstone;
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) DEFERRABLE INITIALLY DEFERRED,
        position INTEGER NOT NULL,
        platform_id TEXT,
        parent_platform_id TEXT,
        author TEXT,
        created_at TEXT,
        text TEXT NOT NULL,
        is_tombstone INTEGER NOT NULL DEFAULT 0,
        folded TEXT CHECK (folded IN ('identity', 'exact', 'near')),
        UNIQUE (thread_id, position)
    );
    CREATE INDEX comments_cluster ON comments (cluster_id);
    CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        hotkey TEXT UNIQUE,
        color TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        parent_id INTEGER REFERENCES tags(id) ON DELETE SET NULL
    );
    CREATE TABLE annotations (
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        annotator TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (cluster_id, tag_id, annotator)
    );
    CREATE INDEX annotations_tag ON annotations (tag_id);
    CREATE INDEX annotations_annotator ON annotations (annotator, cluster_id);
    CREATE TABLE links (
        id INTEGER PRIMARY KEY,
        source_cluster INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        target_cluster INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ({_LINK_KIND_CHECK})),
        note TEXT NOT NULL DEFAULT '',
        annotator TEXT,
        created_at TEXT NOT NULL
    );
    CREATE UNIQUE INDEX links_unique
        ON links (source_cluster, target_cluster, kind, coalesce(annotator, ''));
    CREATE INDEX links_target ON links (target_cluster);
    CREATE TABLE notes (
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        annotator TEXT NOT NULL,
        text TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (cluster_id, annotator)
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        annotator TEXT NOT NULL,
        created_at TEXT NOT NULL,
        action TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE INDEX events_annotator ON events (annotator, id);
    CREATE VIRTUAL TABLE clusters_fts USING fts5 (
        text, content='clusters', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    """,
    # 2: the full-text table declared the way Datasette and sqlite-utils recognise (content
    # in double quotes), one name ("folded") for how comments fold, what folding by author
    # needs (which threads were folded how, which clusters say the same words), and indexes
    # for one annotator's links and notes (links also holds a reply link for most comments).
    """
    DROP TABLE clusters_fts;
    CREATE VIRTUAL TABLE clusters_fts USING fts5 (
        text, content="clusters", content_rowid="id", tokenize="unicode61 remove_diacritics 2"
    );
    INSERT INTO clusters_fts (clusters_fts) VALUES ('rebuild');
    ALTER TABLE clusters RENAME COLUMN method TO folded;
    -- Threads imported before this version folded the same words across authors.
    ALTER TABLE threads ADD COLUMN fold TEXT NOT NULL DEFAULT 'across-authors';
    -- Clusters whose texts fold together but whose authors differ share a text_group (the id
    -- of the group's first cluster); NULL when no other cluster says the same.
    ALTER TABLE clusters ADD COLUMN text_group INTEGER;
    CREATE INDEX clusters_text_group ON clusters (text_group) WHERE text_group IS NOT NULL;
    CREATE INDEX links_annotator ON links (annotator, kind) WHERE annotator IS NOT NULL;
    CREATE INDEX notes_annotator ON notes (annotator, cluster_id);
    """,
    # 3: segments, the unit below a comment: a range [start, end) of code points in a unique
    # comment's text.  Tags, notes and either end of a link attach to a comment (segment NULL)
    # or to one of its segments; the keys that made a comment's tag unique now include the
    # segment, so annotations and notes are rebuilt around a unique index.
    """
    CREATE TABLE segments (
        id INTEGER PRIMARY KEY,
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        CHECK (0 <= start AND start < end),
        UNIQUE (cluster_id, start, end)
    );
    CREATE TABLE annotations_with_segments (
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        annotator TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    INSERT INTO annotations_with_segments (cluster_id, tag_id, annotator, created_at)
        SELECT cluster_id, tag_id, annotator, created_at FROM annotations ORDER BY rowid;
    DROP TABLE annotations;
    ALTER TABLE annotations_with_segments RENAME TO annotations;
    CREATE UNIQUE INDEX annotations_unique
        ON annotations (cluster_id, coalesce(segment_id, 0), tag_id, annotator);
    CREATE INDEX annotations_tag ON annotations (tag_id);
    CREATE INDEX annotations_annotator ON annotations (annotator, cluster_id);
    CREATE INDEX annotations_segment ON annotations (segment_id) WHERE segment_id IS NOT NULL;
    CREATE TABLE notes_with_segments (
        cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
        segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
        annotator TEXT NOT NULL,
        text TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    INSERT INTO notes_with_segments (cluster_id, annotator, text, updated_at)
        SELECT cluster_id, annotator, text, updated_at FROM notes ORDER BY rowid;
    DROP TABLE notes;
    ALTER TABLE notes_with_segments RENAME TO notes;
    CREATE UNIQUE INDEX notes_unique ON notes (cluster_id, coalesce(segment_id, 0), annotator);
    CREATE INDEX notes_annotator ON notes (annotator, cluster_id);
    CREATE INDEX notes_segment ON notes (segment_id) WHERE segment_id IS NOT NULL;
    ALTER TABLE links ADD COLUMN source_segment INTEGER REFERENCES segments(id) ON DELETE CASCADE;
    ALTER TABLE links ADD COLUMN target_segment INTEGER REFERENCES segments(id) ON DELETE CASCADE;
    DROP INDEX links_unique;
    CREATE UNIQUE INDEX links_unique ON links (
        source_cluster, coalesce(source_segment, 0), target_cluster, coalesce(target_segment, 0),
        kind, coalesce(annotator, '')
    );
    CREATE INDEX links_source_segment ON links (source_segment) WHERE source_segment IS NOT NULL;
    CREATE INDEX links_target_segment ON links (target_segment) WHERE target_segment IS NOT NULL;
    """,
    # 4: re-scrapes (store.rescrape).  A thread's key names the platform thread it was read
    # from ("reddit:t3_abc", "hn:123"; NULL for sources without one, and for threads imported
    # before this version), so a newer scrape of it updates it.  A segment's coded_text keeps
    # the words it covered when it was coded once an update changed them under it (NULL: its
    # words are as they were).
    """
    ALTER TABLE threads ADD COLUMN thread_key TEXT;
    CREATE INDEX threads_key ON threads (thread_key) WHERE thread_key IS NOT NULL;
    ALTER TABLE segments ADD COLUMN coded_text TEXT;
    """,
]
