import Words
/// The PostgreSQL schema, one named migration at a time (forward-only).
extension PostgresStorage {
    static let migrations: [(String, [String])] = [
        ("v1-server", [
            """
            CREATE TABLE users (
                name TEXT PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('enumerator', 'supervisor', 'admin')),
                password_hash TEXT NOT NULL,
                disabled BOOLEAN NOT NULL DEFAULT FALSE,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                user_name TEXT NOT NULL REFERENCES users (name),
                name TEXT NOT NULL,
                site_id TEXT NOT NULL,
                token_hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                last_seen_at BIGINT,
                revoked BOOLEAN NOT NULL DEFAULT FALSE)
            """,
            """
            CREATE TABLE forms (
                form_id TEXT NOT NULL,
                version TEXT NOT NULL,
                title TEXT NOT NULL,
                definition TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                published_at BIGINT NOT NULL,
                PRIMARY KEY (form_id, version))
            """,
            """
            CREATE TABLE records (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                form_id TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX records_owner ON records (owner)",
            """
            CREATE TABLE versions (
                seq BIGINT PRIMARY KEY,
                site_id TEXT NOT NULL,
                site_seq BIGINT NOT NULL,
                record_id TEXT NOT NULL REFERENCES records (id),
                form_id TEXT NOT NULL,
                form_version TEXT NOT NULL,
                field TEXT NOT NULL,
                value TEXT,
                clock_ms BIGINT NOT NULL,
                clock_counter INTEGER NOT NULL,
                parents TEXT NOT NULL,
                author TEXT NOT NULL,
                pushed_by TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                UNIQUE (site_id, site_seq))
            """,
            "CREATE INDEX versions_record ON versions (record_id)",
        ]),
        ("v2-identity", [
            "ALTER TABLE devices ADD COLUMN previous_site_id TEXT",
            "CREATE INDEX devices_site ON devices (site_id)",
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]),
        // Protocol 2: each device's Ed25519 public key (and its predecessor's).
        ("v3-device-keys", [
            "ALTER TABLE devices ADD COLUMN public_key TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE devices ADD COLUMN previous_public_key TEXT",
        ]),
        // Each changeset's signature and who carried it here.
        ("v4-changesets", [
            "ALTER TABLE devices ADD COLUMN hpke_key TEXT NOT NULL DEFAULT ''",
            """
            CREATE TABLE changesets (
                site_id TEXT NOT NULL,
                seq BIGINT NOT NULL CHECK (seq >= 1),
                count BIGINT NOT NULL CHECK (count >= 1),
                signature TEXT NOT NULL,
                carried_by TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                PRIMARY KEY (site_id, seq))
            """,
        ]),
        // Each device's clock skew as its last request showed it.
        ("v5-clock-skew", ["ALTER TABLE devices ADD COLUMN clock_skew_ms BIGINT"]),
        mediaMigration,
        pushBlocksMigration,
    ]

    /// Sequences without one global turn. A push takes a block of 2^20
    /// sequence numbers (`recolha_take_block()`) only when it is ready to
    /// insert, and holds a transaction-level advisory lock named by the
    /// block until it commits or rolls back; a pull asks `recolha_pull_bound()`
    /// first: every sequence below the lowest block still locked (or below
    /// the next block when none is) is committed or never will be, and the
    /// pull reads nothing at or above it. A short session lock (`pushLock`)
    /// covers only the moment between taking a block and locking it, so a
    /// pull never sees a block taken but not yet locked. A connection that
    /// dies (an instance killed) releases its locks as PostgreSQL rolls its
    /// transaction back.
    static let blockBits: Int64 = 20
    /// The first key of every block's advisory lock ("RCLB").
    static let blockLockClass: Int32 = 0x5243_4C42
    static let pushBlocksMigration: (String, [String]) = ("v7-push-blocks", [
        "CREATE SEQUENCE push_blocks MINVALUE 1 MAXVALUE 2147483647",
        // Blocks start past every sequence already held (dense from protocol 1's turn).
        "SELECT setval('push_blocks', (SELECT COALESCE(MAX(seq), 0) FROM versions) / \(1 << blockBits) + 1, false)",
        """
        CREATE FUNCTION recolha_take_block() RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE b bigint;
        BEGIN
            PERFORM pg_advisory_lock(\(pushLock));
            b := nextval('push_blocks');
            PERFORM pg_advisory_xact_lock(\(blockLockClass), b::integer);
            PERFORM pg_advisory_unlock(\(pushLock));
            RETURN b;
        END $$
        """,
        """
        CREATE FUNCTION recolha_pull_bound() RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE lowest bigint; last bigint; called boolean;
        BEGIN
            PERFORM pg_advisory_lock_shared(\(pushLock));
            SELECT MIN(objid::bigint) INTO lowest FROM pg_locks
                WHERE locktype = 'advisory' AND classid = \(blockLockClass) AND objsubid = 2
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database());
            SELECT last_value, is_called INTO last, called FROM push_blocks;
            PERFORM pg_advisory_unlock_shared(\(pushLock));
            RETURN COALESCE(lowest, CASE WHEN called THEN last + 1 ELSE last END) * \(1 << blockBits);
        END $$
        """,
    ])
}
