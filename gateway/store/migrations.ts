/** Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Append only. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE readings (
    id INTEGER PRIMARY KEY,
    sensor_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    ts INTEGER NOT NULL,
    ts_from_arrival INTEGER NOT NULL,
    quality TEXT NOT NULL,
    source TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    lateness TEXT NOT NULL
  );
  CREATE INDEX readings_by_key_ts ON readings (sensor_id, metric, ts);

  CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    payload BLOB NOT NULL
  );

  CREATE TABLE window_results (
    kind TEXT NOT NULL,
    sensor_id TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    metric TEXT NOT NULL,
    end_ms INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    count INTEGER NOT NULL,
    mean REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    last REAL NOT NULL,
    stddev REAL NOT NULL,
    uncertain_count INTEGER NOT NULL,
    bad_count INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    PRIMARY KEY (kind, sensor_id, start_ms, metric)
  ) WITHOUT ROWID;

  CREATE TABLE scores (
    h3_index TEXT NOT NULL,
    context TEXT NOT NULL,
    window_end INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    city TEXT NOT NULL,
    revision INTEGER NOT NULL,
    score REAL NOT NULL,
    grade TEXT NOT NULL,
    confidence REAL NOT NULL,
    flags TEXT NOT NULL,
    ucid TEXT NOT NULL,
    event_id TEXT NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (h3_index, context, window_end)
  ) WITHOUT ROWID;
  CREATE INDEX scores_by_window ON scores (window_end);

  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    msg_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    window_end INTEGER,
    compaction_key TEXT
  );
  CREATE INDEX outbox_by_compaction_key ON outbox (compaction_key) WHERE compaction_key IS NOT NULL;

  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE alert_state (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    rule TEXT NOT NULL,
    city TEXT NOT NULL,
    context TEXT,
    sensor_id TEXT,
    metric TEXT,
    level TEXT,
    since INTEGER,
    pending_target TEXT,
    pending_count INTEGER NOT NULL DEFAULT 0,
    pending_since INTEGER,
    transitions INTEGER NOT NULL DEFAULT 0,
    last_value REAL,
    last_event_id TEXT,
    ack_by TEXT,
    ack_at INTEGER
  ) WITHOUT ROWID;

  CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    level TEXT NOT NULL,
    key TEXT NOT NULL,
    city TEXT NOT NULL,
    context TEXT,
    sensor_id TEXT,
    metric TEXT,
    value REAL,
    threshold REAL,
    message TEXT NOT NULL,
    at INTEGER NOT NULL,
    ack_by TEXT,
    ack_at INTEGER
  );
  CREATE INDEX alert_events_by_key ON alert_events (key, at);

  CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT,
    UNIQUE (event_id, url)
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
  `,
  // 3 (sync/): O(1) outbox counters for the byte budget (DESIGN §6), and an index for window roll-ups.
  `
  CREATE TABLE outbox_stats (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    events INTEGER NOT NULL,
    bytes INTEGER NOT NULL
  );
  INSERT INTO outbox_stats (id, events, bytes) SELECT 1, count(*), coalesce(sum(bytes), 0) FROM outbox;
  CREATE TRIGGER outbox_stats_insert AFTER INSERT ON outbox BEGIN
    UPDATE outbox_stats SET events = events + 1, bytes = bytes + NEW.bytes WHERE id = 1;
  END;
  CREATE TRIGGER outbox_stats_delete AFTER DELETE ON outbox BEGIN
    UPDATE outbox_stats SET events = events - 1, bytes = bytes - OLD.bytes WHERE id = 1;
  END;
  CREATE TRIGGER outbox_stats_update AFTER UPDATE OF bytes ON outbox BEGIN
    UPDATE outbox_stats SET bytes = bytes - OLD.bytes + NEW.bytes WHERE id = 1;
  END;
  CREATE INDEX outbox_by_window_end ON outbox (window_end) WHERE window_end IS NOT NULL;
  `,
  // 4: the (sensor, metric) keys ever seen, so a restart can seed each key's watermark without a full scan (DESIGN §4).
  `
  CREATE TABLE reading_keys (
    sensor_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    PRIMARY KEY (sensor_id, metric)
  ) WITHOUT ROWID;
  INSERT OR IGNORE INTO reading_keys SELECT DISTINCT sensor_id, metric FROM readings;
  `,
  // 5 (sync/): rows leave the outbox only through sync/, which adjusts outbox_stats in the same transaction;
  // the per-row delete trigger made deleting a delivered 5,000-event batch about 4× slower.
  `
  DROP TRIGGER outbox_stats_delete;
  `,
  // 6: the correlation id (DESIGN §8 logs) that follows a reading into the window it closed and the score it changed.
  `
  ALTER TABLE window_results ADD COLUMN correlation_id TEXT;
  ALTER TABLE scores ADD COLUMN correlation_id TEXT;
  `,
  // 7: the (sensor, metric, ts) index becomes a table written a key at a time (gateway/store/reading-index.ts);
  // every reading below meta's readings.indexedBelow is in it.
  `
  CREATE TABLE reading_index (
    sensor_id TEXT NOT NULL,
    metric TEXT NOT NULL,
    ts INTEGER NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (sensor_id, metric, ts, id)
  ) WITHOUT ROWID;
  INSERT INTO reading_index SELECT sensor_id, metric, ts, id FROM readings INDEXED BY readings_by_key_ts ORDER BY sensor_id, metric, ts, id;
  DROP INDEX readings_by_key_ts;
  INSERT OR REPLACE INTO meta (key, value) SELECT 'readings.indexedBelow', coalesce(max(id), 0) + 1 FROM readings;
  `,
];
