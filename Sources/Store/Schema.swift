import Words
/// The store's schema, one named migration at a time. `schema/store.sql`
/// holds the same DDL; a test proves a migrated store matches it.
enum Schema {
    /// 'RCLH': marks a SQLite file as a Recolha store.
    static let applicationID: Int32 = 0x5243_4C48

    static let v1 = """
        CREATE TABLE device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            site_id TEXT NOT NULL CHECK (length(site_id) = 16),
            enumerator TEXT NOT NULL CHECK (enumerator <> ''),
            next_seq INTEGER NOT NULL CHECK (next_seq >= 1),
            clock_ms INTEGER NOT NULL,
            clock_counter INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE forms (
            form_id TEXT NOT NULL,
            version TEXT NOT NULL,
            title TEXT NOT NULL,
            definition TEXT NOT NULL,
            added_at INTEGER NOT NULL,
            PRIMARY KEY (form_id, version)
        );
        CREATE TABLE records (
            id TEXT PRIMARY KEY,
            form_id TEXT NOT NULL,
            form_version TEXT NOT NULL,
            status TEXT NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
            answers TEXT NOT NULL,
            conflicts INTEGER NOT NULL DEFAULT 0,
            author TEXT NOT NULL,
            device TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            FOREIGN KEY (form_id, form_version) REFERENCES forms (form_id, version)
        );
        CREATE INDEX records_form_status ON records (form_id, status);
        CREATE TABLE versions (
            site_id TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            record_id TEXT NOT NULL REFERENCES records (id),
            form_id TEXT NOT NULL,
            form_version TEXT NOT NULL,
            field TEXT NOT NULL,
            value TEXT,
            clock_ms INTEGER NOT NULL,
            clock_counter INTEGER NOT NULL,
            parents TEXT NOT NULL,
            author TEXT NOT NULL,
            acked INTEGER NOT NULL DEFAULT 0 CHECK (acked IN (0, 1)),
            server_seq INTEGER,
            PRIMARY KEY (site_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX versions_record_field ON versions (record_id, field);
        CREATE INDEX versions_unacked ON versions (site_id, seq) WHERE acked = 0;
        """

    /// What sync needs beyond v1: where and as whom to sync, the pull cursor,
    /// and the server's reason for each rejected version.
    static let v2 = """
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            server TEXT NOT NULL,
            user TEXT NOT NULL,
            role TEXT NOT NULL,
            token TEXT NOT NULL,
            cacert TEXT,
            cursor INTEGER NOT NULL DEFAULT 0 CHECK (cursor >= 0),
            last_sync_at INTEGER,
            skew_ms INTEGER
        );
        ALTER TABLE versions ADD COLUMN rejected TEXT;
        CREATE INDEX records_conflicted ON records (id) WHERE conflicts > 0;
        """

    /// A device identity that cannot be claimed by another (the site id is
    /// derived from a secret), the store file's identity (a copy has another,
    /// so it takes a new site id instead of reusing this one's numbers), the
    /// site it used before, and the site its token was issued for.
    static let v3 = """
        ALTER TABLE device ADD COLUMN site_secret TEXT;
        ALTER TABLE device ADD COLUMN file_identity TEXT;
        ALTER TABLE device ADD COLUMN previous_site_id TEXT;
        ALTER TABLE device ADD COLUMN previous_site_secret TEXT;
        ALTER TABLE sync_state ADD COLUMN token_site_id TEXT;
        """

    /// Protocol 2: every local transaction is a changeset signed with the
    /// device's key (its versions are `seq` to `seq + count - 1` of its
    /// site), acknowledged only on the server's signed receipt; the
    /// server's key, learnt at login, checks those receipts. Changesets of
    /// other devices carried here (`carried_by`) with their sites' keys, the
    /// receipts to carry back to them, when this device's own work was
    /// handed to a relay, and who its bundles are encrypted to.
    static let v4 = """
        CREATE TABLE changesets (
            site_id TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            count INTEGER NOT NULL CHECK (count >= 1),
            record_id TEXT NOT NULL REFERENCES records (id),
            signature TEXT NOT NULL CHECK (length(signature) = 128),
            acked INTEGER NOT NULL DEFAULT 0 CHECK (acked IN (0, 1)),
            rejected TEXT,
            carried_by TEXT,
            handed_at INTEGER,
            handed_to TEXT,
            PRIMARY KEY (site_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX changesets_unacked ON changesets (site_id, seq) WHERE acked = 0;
        ALTER TABLE versions ADD COLUMN signed INTEGER NOT NULL DEFAULT 0 CHECK (signed IN (0, 1));
        CREATE INDEX versions_unsigned ON versions (site_id, seq) WHERE acked = 0 AND signed = 0;
        ALTER TABLE sync_state ADD COLUMN server_key TEXT;
        CREATE TABLE site_keys (
            site_id TEXT PRIMARY KEY,
            public_key TEXT NOT NULL,
            user TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE receipts (
            site_id TEXT NOT NULL,
            held TEXT NOT NULL,
            server_time INTEGER NOT NULL,
            signature TEXT NOT NULL,
            PRIMARY KEY (site_id, signature)
        ) WITHOUT ROWID;
        CREATE TABLE enrolments (
            site_id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'refused')),
            reason TEXT
        ) WITHOUT ROWID;
        CREATE TABLE recipients (
            hpke_key TEXT PRIMARY KEY,
            site_id TEXT,
            user TEXT NOT NULL,
            role TEXT NOT NULL,
            name TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    /// Review: the shown `_review` of each record (canonical JSON) and its
    /// state, kept on the record's row so lists can filter by it. Before
    /// this, nothing was reviewed: a finalized record is `received`. And
    /// the hub this device last synced with, for `recolha sync` on a device
    /// that has no token of its own (enrolled through a hub).
    static let v5 = """
        ALTER TABLE sync_state ADD COLUMN hub TEXT;
        ALTER TABLE records ADD COLUMN review TEXT;
        ALTER TABLE records ADD COLUMN review_state TEXT;
        UPDATE records SET review_state = 'received' WHERE status = 'finalized';
        CREATE INDEX records_review_state ON records (review_state) WHERE review_state IS NOT NULL;
        """

    /// The language this device's person reads (`recolha init --lang`,
    /// `recolha language`): before it, the environment decided alone. And
    /// what keeps a big store quick to look through: records by creation
    /// (`recolha list` reads its newest page without sorting), records by
    /// state (`status` counts them from the index, not the answers), and
    /// rejected versions (`status` lists them without reading every version).
    static let v6 = """
        ALTER TABLE device ADD COLUMN language TEXT CHECK (language IN ('en', 'pt'));
        CREATE INDEX records_created ON records (created_at, id);
        CREATE INDEX records_by_state ON records (deleted, status, review_state);
        CREATE INDEX versions_rejected ON versions (site_id, seq) WHERE rejected IS NOT NULL;
        """

    /// Media files: held here (in the store's media folder, by SHA-256),
    /// known to the server, or refused by it; and the records naming them.
    static let v7 = """
        CREATE TABLE media (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            name TEXT NOT NULL,
            held INTEGER NOT NULL DEFAULT 0,
            sent INTEGER NOT NULL DEFAULT 0,
            refused TEXT
        ) WITHOUT ROWID;
        CREATE TABLE media_refs (
            sha256 TEXT NOT NULL,
            record_id TEXT NOT NULL,
            PRIMARY KEY (sha256, record_id)
        ) WITHOUT ROWID;
        CREATE INDEX media_refs_by_record ON media_refs (record_id);
        """
}
