"""The warehouse tables (SQLAlchemy Core). Changes go through an Alembic migration.

Record tables hold the current version of each partner record, keyed by
(org, record_id) within the kind's table, with the batch and row that set it;
`record_versions` keeps which batch and row set every version a record no longer has
(warehouse/history.py reads both as one history). Nothing here stores a personal code or a name: only pseudonyms,
keyed encodings and the contract's coarse fields.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from interchange.contract.records import LINKAGE_FIELDS, Encoding

# Stable constraint names, so migrations can address them on every backend.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# The tables written a million rows at a time (records, their history, linkage's links and
# events) name the batch or linkage run that wrote them without a foreign key: on PostgreSQL a
# foreign key is a trigger run per inserted row, which more than doubled the server's time for a
# national drop (1M contacts: COPY 1.7 s without it, 5.6 s with it; the history 3.2 s against 6.0).
# The reference cannot dangle: the row is written in the same transaction as the batch or run it
# names, which that transaction holds (the batch row locked), and batches and runs are never deleted.

batches = Table(
    "batches", metadata,
    Column("batch_id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(32), nullable=False),
    Column("kind", String(16)),  # None while a drop's kind is not known yet
    Column("source", String(40), nullable=False, comment="inbox, or http:<name>"),
    Column("file_name", String(255), comment="as the partner named it; never used as a path"),
    Column("sha256", String(64), nullable=False, comment="of the drop's bytes, or of the pull's pages"),
    Column("size_bytes", BigInteger),
    Column("mtime_ns", BigInteger, comment="inbox file's mtime when claimed"),
    Column("archive_path", String(400), comment="relative to the workspace; empty once purged"),
    Column("manifest", JSON, comment="the drop's manifest as sent, when there was one"),
    Column("parts", JSON, comment="HTTP pull: sha256 of each archived page"),
    Column("cursor_from", String(64)),
    Column("cursor_to", String(64)),
    Column("status", String(16), nullable=False,
           comment="received, loaded, held, rejected, duplicate, failed"),
    Column("attempts", Integer, nullable=False, default=0, server_default="0",
           comment="how many times processing the batch began; bounded, then it ends failed"),
    Column("duplicate_of", Integer, ForeignKey("batches.batch_id")),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True)),
    Column("rows_read", Integer),
    Column("rows_inserted", Integer),
    Column("rows_updated", Integer),
    Column("rows_deleted", Integer),
    Column("rows_unchanged", Integer),
    Column("rows_quarantined", Integer),
    Column("rows_held", Integer),
    Column("receipt", JSON, comment="the receipt as written to receipts/<org>/"),
    Column("receipt_written", Boolean, nullable=False, default=False),
    # One claim per inbox file as it lay there: a second run that sees the same file loses.
    UniqueConstraint("org", "source", "sha256", "file_name", "mtime_ns"),
)
Index("ix_batches_org_sha256", batches.c.org, batches.c.sha256)

quarantine = Table(
    "quarantine", metadata,
    Column("quarantine_id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("batches.batch_id"), nullable=False, index=True),
    Column("row_number", Integer),
    Column("record_id", String(64)),
    Column("column_name", String(255)),
    Column("code", String(64), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("message_lt", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    # The later batch that closed the entry: it loaded the record, brought it again, or re-ran the row.
    Column("resolved_by_batch", Integer, ForeignKey("batches.batch_id")),
    # An entry is open until closed_at is set; a closing is never undone, so these columns are its history.
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_how", String(12), comment="loaded, replaced, reprocessed, superseded, dismissed"),
    Column("closed_by", String(64), comment="who dismissed it; empty when a batch closed it"),
    Column("close_reason", Text, comment="why it was dismissed, as the steward wrote it"),
)
# Every batch commit and every status read ask for the open errors: few among all entries ever kept.
Index("ix_quarantine_severity_closed_at", quarantine.c.severity, quarantine.c.closed_at)

expectation_results = Table(
    "expectation_results", metadata,
    Column("batch_id", Integer, ForeignKey("batches.batch_id"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("severity", String(8), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("column_name", String(64)),
    Column("element_count", Integer, nullable=False),
    Column("unexpected_count", Integer, nullable=False),
    Column("unexpected_rows", JSON, nullable=False),
    Column("message_lt", Text, nullable=False),
    Column("message_en", Text, nullable=False),
)

# Every version a record no longer has, with the batch and row that set it: the current version's
# are on the record's own row (a record that never changed is written once, not twice).
record_versions = Table(
    "record_versions", metadata,
    Column("kind", String(16), primary_key=True),
    Column("org", String(32), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("batch_id", Integer, nullable=False, index=True),
    Column("row_number", Integer, nullable=False),
    Column("action", String(8), nullable=False, comment="insert, update, delete"),
    Column("content_hash", String(32), nullable=False),
)

source_cursors = Table(
    "source_cursors", metadata,
    Column("org", String(32), primary_key=True),
    Column("source", String(40), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("updated_since", String(64), nullable=False),
    Column("batch_id", Integer, ForeignKey("batches.batch_id"), nullable=False),
)

# One row per attempt at a source by an ingest run: how a source that fails on every run is seen.
# The error's class only: its message could quote a record.
source_runs = Table(
    "source_runs", metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(32), nullable=False),
    Column("source", String(40), nullable=False, comment="inbox, or http:<name>"),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(12), nullable=False, comment="ok or failed"),
    Column("error_class", String(80), comment="the exception's class when it failed; never its message"),
    comment="every attempt at a source by an ingest run, newest last",
)
Index("ix_source_runs_org_source_run_id", source_runs.c.org, source_runs.c.source, source_runs.c.run_id)


def _record_table(kind: str, *columns: Column, indexes: tuple[tuple[str, ...], ...] = ()) -> Table:
    table = Table(
        f"{kind}_records", metadata,
        Column("org", String(32), primary_key=True),
        Column("record_id", String(64), primary_key=True),
        Column("deleted", Boolean, nullable=False, default=False),
        *columns,
        Column("version", Integer, nullable=False),
        Column("content_hash", String(32), nullable=False),
        Column("batch_id", Integer, nullable=False),
        Column("row_number", Integer, nullable=False),
        comment=f"current version of each {kind} record; data columns are empty once deleted",
    )
    for names in indexes:
        Index(f"ix_{kind}_records_{'_'.join(names)}", *(table.c[n] for n in names))
    # Which records a batch wrote (lineage: what a late batch changed in an approved period). A load
    # appends a batch's rows together: on PostgreSQL a BRIN index finds them and costs a load little
    # (migration 0018).
    Index(f"ix_{kind}_records_batch_id", table.c.batch_id, postgresql_using="brin",
          postgresql_with={"autosummarize": "on"})
    return table


def _hex64(name: str) -> Column:
    return Column(name, String(64))


def _bloom(name: str) -> Column:
    return Column(name, String(172))


def _ref(name: str) -> Column:
    return Column(name, String(64))


_ENCODED = {Encoding.TOKEN: _hex64, Encoding.BLOOM: _bloom}


person_records = _record_table(
    "person",
    # The contract's keyed encodings, in its order (the order of a stored version's content hash).
    *(_ENCODED[f.encoding](f.name) for f in LINKAGE_FIELDS if f.encoding in _ENCODED),
    Column("birth_year", Integer), Column("sex", String(8)), Column("municipality", String(8)),
    _ref("household_record_id"),
    Column("dv_victim", Boolean), Column("social_risk_family", Boolean), Column("disability", Boolean),
    Column("participation_level", Integer), Column("addiction", Boolean), Column("consent_reporting", Boolean),
    indexes=(("person_pseudonym",),),
)
household_records = _record_table(
    "household",
    _hex64("household_pseudonym"), Column("municipality", String(8)),
    Column("social_risk_from", Date), Column("social_risk_to", Date), Column("children_count", Integer),
)
contact_records = _record_table(
    "contact",
    _ref("person_record_id"), Column("service_code", String(40)), Column("contact_date", Date),
    Column("duration_minutes", Integer), _ref("case_record_id"),
)
group_session_records = _record_table(
    "group_session",
    Column("service_code", String(40)), Column("session_date", Date), Column("duration_minutes", Integer),
    Column("attendee_record_ids", JSON), Column("unregistered_attendees", Integer),
)
case_records = _record_table(
    "case",
    Column("case_type", String(40)), _ref("person_record_id"), _ref("household_record_id"),
    Column("opened", Date), Column("closed", Date), Column("repeat_victimisation", Boolean),
    Column("children_in_family", Integer),
)

RECORD_TABLES: dict[str, Table] = {
    "person": person_records,
    "household": household_records,
    "contact": contact_records,
    "group_session": group_session_records,
    "case": case_records,
}
BOOKKEEPING = ("org", "record_id", "deleted", "version", "content_hash", "batch_id", "row_number")


def data_columns(kind: str) -> list[str]:
    """The contract fields a kind's table stores, in table order."""
    return [c.name for c in RECORD_TABLES[kind].columns if c.name not in BOOKKEEPING]


# --- linkage: the master person index and household index (interchange.linkage) ---------------
# A record is addressed as "<org>:<record_id>" (its uid) where pairs name two records.
_KEY = 20  # "p-" or "h-" and 16 hex digits
_UID = 100  # org (32) + ":" + record_id (64)

linkage_runs = Table(
    "linkage_runs", metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("scorer", String(64), nullable=False, comment="which model scored the pairs"),
    Column("upper", Float, nullable=False, comment="pairs at or above this probability are linked"),
    Column("lower", Float, nullable=False, comment="pairs from this probability up to upper go to review"),
    Column("records", Integer),
    Column("pairs_scored", Integer),
    Column("pairs_linked", Integer),
    Column("new_persons", Integer),
    Column("merges", Integer),
    Column("splits", Integer),
    Column("pairs_for_review", Integer),
    Column("households", Integer),
    Column("household_share", Float,
           comment="the household guard: highest match probability of a pair at one address "
                   "on which nothing personal agrees (estimated from the data); "
                   "empty when the scorer has no guard"),
    Column("index_sha256", String(64),
           comment="SHA-256 of the person and household index (record -> key) as this run left it; "
                   "empty for runs before it was kept"),
    comment="one row per run of link_persons",
)

person_keys = Table(
    "person_keys", metadata,
    Column("person_key", String(_KEY), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by_run", Integer, ForeignKey("linkage_runs.run_id"), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
    Column("retired_into", String(_KEY), ForeignKey("person_keys.person_key"),
           comment="the key that absorbed this one in a merge; empty when its records were deleted"),
    comment="every person key ever issued; a retired key is never issued again",
)

person_links = Table(
    "person_links", metadata,
    Column("org", String(32), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("person_key", String(_KEY), ForeignKey("person_keys.person_key"), nullable=False, index=True),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("run_id", Integer, nullable=False),
    comment="the person key of every non-deleted person record",
)

household_keys = Table(
    "household_keys", metadata,
    Column("household_key", String(_KEY), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by_run", Integer, ForeignKey("linkage_runs.run_id"), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
    Column("retired_into", String(_KEY), ForeignKey("household_keys.household_key")),
    comment="every household key ever issued; records with one household_pseudonym share a key",
)

household_links = Table(
    "household_links", metadata,
    Column("org", String(32), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("household_key", String(_KEY), ForeignKey("household_keys.household_key"), nullable=False,
           index=True),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("run_id", Integer, nullable=False),
    comment="the household key of every non-deleted household record",
)

linkage_events = Table(
    "linkage_events", metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("entity", String(10), nullable=False, comment="person or household"),
    Column("kind", String(8), nullable=False, comment="new, merge, split, retire"),
    Column("entity_key", String(_KEY), nullable=False, comment="the key the event is about"),
    Column("other_keys", JSON, nullable=False, comment="merge: keys retired into it; split: the key split from"),
    Column("records", Integer, nullable=False, comment="how many records the event moved"),
    Column("reason", Text, nullable=False),
)

review_pairs = Table(
    "review_pairs", metadata,
    Column("pair_id", Integer, primary_key=True, autoincrement=True),
    Column("uid_l", String(_UID), nullable=False),
    Column("uid_r", String(_UID), nullable=False),
    Column("match_probability", Float, comment="as last scored; empty for a pair the model never scored"),
    Column("match_weight", Float),
    Column("method", String(32)),
    Column("agreements", JSON, comment="per compared field: agree, disagree, missing, or Bloom similarity"),
    Column("status", String(10), nullable=False, comment="open, decided, obsolete"),
    Column("decision", String(10), comment="same or different; overrides the model in every later run"),
    Column("decided_at", DateTime(timezone=True)),
    Column("decided_by", String(64)),
    Column("note", Text),
    Column("first_run", Integer, ForeignKey("linkage_runs.run_id")),
    Column("last_run", Integer, ForeignKey("linkage_runs.run_id")),
    UniqueConstraint("uid_l", "uid_r"),
)
Index("ix_review_pairs_status", review_pairs.c.status)

review_decisions = Table(
    "review_decisions", metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("pair_id", Integer, ForeignKey("review_pairs.pair_id"), nullable=False, index=True),
    Column("decision", String(10), nullable=False, comment="same or different"),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("note", Text, comment="why, as the steward wrote it; required when it changes an earlier decision"),
    Column("replaces", Integer, ForeignKey("review_decisions.decision_id"),
           comment="the decision this one changed; empty for a pair's first decision"),
    comment="every decision ever taken on a pair, append-only; review_pairs holds the current one",
)


__all__ = ["BOOKKEEPING", "RECORD_TABLES", "batches", "data_columns", "expectation_results",
           "household_keys", "household_links", "linkage_events", "linkage_runs", "metadata",
           "person_keys", "person_links", "quarantine", "record_versions", "review_decisions",
           "review_pairs", "source_cursors"]


# --- publications: versioned indicator tables for ministry reporting (interchange.indicators.publications) ---
# Stewards' tables hold unsuppressed figures and never leave the hub. The ministry_* tables hold
# only what disclosure control lets out, and only of approved versions: they are the tables a
# read-only ministry role may see (docs/publishing.md). A version's cells are written once and
# never updated; only its lifecycle columns (state, approved_*, reopened_*) change.
_PERIOD = 64
_CELL_KEY = (
    ("indicator", 64), ("breakdown", 80), ("month", 7), ("municipality", 8), ("org", 32), ("sex", 16),
    ("age_group", 8),
)


def _cell_key_columns(*, primary_key: bool) -> list[Column]:
    return [Column(name, String(length), primary_key=primary_key, nullable=False) for name, length in _CELL_KEY]


publications = Table(
    "publications", metadata,
    Column("publication_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(_PERIOD), nullable=False, comment="period label, e.g. 2026-Q3, 2026-09, 2026"),
    Column("version", Integer, nullable=False, comment="1, 2, ... within the period"),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("state", String(12), nullable=False, comment="draft, approved, reopened, superseded"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("approved_at", DateTime(timezone=True)),
    Column("approved_by", String(64)),
    Column("reopened_at", DateTime(timezone=True)),
    Column("reopened_by", String(64)),
    Column("reopen_reason", Text),
    Column("catalogue_version", String(64), nullable=False),
    Column("code_version", String(80), nullable=False, comment="interchange version, + git commit when known"),
    Column("disclosure_rules", JSON, nullable=False, comment="thresholds and consent handling used"),
    Column("input_batches", JSON, nullable=False, comment="[{batch_id, org, kind, sha256}] of every loaded batch"),
    Column("inputs_sha256", String(64), nullable=False, comment="digest of input_batches: equal inputs, equal digest"),
    Column("linkage_run_id", Integer, ForeignKey("linkage_runs.run_id"),
           comment="the person index the distinct-person counts rest on"),
    Column("cells", Integer, nullable=False),
    Column("suppressed_cells", Integer, nullable=False),
    Column("changed_cells", Integer, comment="cells that differ from the previous version; empty for v1"),
    Column("definitions", JSON, comment="the catalogue's definition of every indicator of the version"),
    Column("index_sha256", String(64), comment="digest of the person and household index when computed: "
                                               "another digest now means the version is stale"),
    Column("approved_despite", JSON, comment="{reason: count} the steward confirmed when approving "
                                             "(interchange approve --despite)"),
    Column("approved_index_sha256", String(64), comment="digest of the index when approved: another digest now "
                                                        "means the approved version is stale"),
    UniqueConstraint("period", "version"),
    comment="one row per publication version; stewards only",
)

publication_cells = Table(
    "publication_cells", metadata,
    Column("publication_id", Integer, ForeignKey("publications.publication_id"), primary_key=True),
    *_cell_key_columns(primary_key=True),
    Column("value", Float, comment="UNSUPPRESSED figure: never leaves the hub"),
    Column("numerator", Float),
    Column("denominator", Float),
    Column("unit", String(16), nullable=False),
    Column("sensitivity", String(16), nullable=False),
    Column("suppressed", Boolean, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("published_value", Float),
    Column("target", Float, comment="programme periods: the programme's target for the indicator's total"),
    comment="every cell of every version with its unsuppressed value; stewards only",
)

publication_changes = Table(
    "publication_changes", metadata,
    Column("publication_id", Integer, ForeignKey("publications.publication_id"), primary_key=True),
    *_cell_key_columns(primary_key=True),
    Column("change", String(8), nullable=False, comment="added, removed, changed"),
    Column("value_before", Float),
    Column("value_after", Float),
    Column("suppressed_before", Boolean),
    Column("suppressed_after", Boolean),
    Column("published_before", Float),
    Column("published_after", Float),
    comment="cells of a version that differ from the previous version's; stewards only",
)

ministry_publications = Table(
    "ministry_publications", metadata,
    Column("period", String(_PERIOD), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
    Column("catalogue_version", String(64), nullable=False),
    Column("code_version", String(80), nullable=False),
    Column("disclosure_rules", JSON, nullable=False),
    Column("inputs_sha256", String(64), nullable=False),
    Column("input_batches", Integer, nullable=False, comment="how many loaded batches fed the version"),
    Column("cells", Integer, nullable=False),
    Column("suppressed_cells", Integer, nullable=False),
    Column("changed_cells", Integer),
    comment="approved publication versions; the newest version of a period is its current figures",
)

ministry_cells = Table(
    "ministry_cells", metadata,
    Column("period", String(_PERIOD), primary_key=True),
    Column("version", Integer, primary_key=True),
    *_cell_key_columns(primary_key=True),
    Column("value", Float, comment="the published figure; empty when suppressed"),
    Column("numerator", Float, comment="empty when the cell is suppressed"),
    Column("denominator", Float, comment="ratios only; empty when the cell is suppressed"),
    Column("target", Float, comment="programme periods: the programme's target for the indicator's total"),
    Column("unit", String(16), nullable=False),
    Column("suppressed", Boolean, nullable=False),
    Column("reason", String(16), nullable=False,
           comment="\"suppressed\" or empty: why a cell is suppressed is not published"),
    # Written only by approve(), from the protected cells: an unsuppressed small value has no column here.
    comment="disclosure-protected cells of approved versions: what the ministry may read",
)

ministry_indicators = Table(
    "ministry_indicators", metadata,
    Column("period", String(_PERIOD), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("indicator", String(64), primary_key=True),
    Column("indicator_group", String(64), nullable=False),
    Column("name_lt", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("definition_lt", Text, nullable=False),
    Column("definition_en", Text, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("sensitivity", String(16), nullable=False, comment="standard, or dv (stricter suppression)"),
    Column("numerator", String(64), comment="ratios: the indicator above the line"),
    Column("denominator", String(64), comment="ratios: the indicator below the line"),
    Column("breakdowns", Text, nullable=False, comment="the published breakdowns, e.g. total, month, org"),
    Column("catalogue_version", String(64), nullable=False),
    comment="definitions of the indicators of approved versions, as the catalogue gave them when computed",
)

__all__ += ["ministry_cells", "ministry_indicators", "ministry_publications", "publication_cells",
            "publication_changes", "publications"]

# --- the web application's accounts (interchange.web): who may log in, their sessions, the
# organisations' API tokens, failed logins (for throttling) and the audit trail. A password or a
# token is kept only as its hash.

web_users = Table(
    "web_users", metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False, unique=True, comment="lowercase; what the user types"),
    Column("role", String(16), nullable=False, comment="partner, steward or ministry"),
    Column("org", String(32), comment="partner accounts: the one organisation they act for"),
    Column("password_hash", String(255), nullable=False, comment="argon2id; never the password"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_set_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), comment="set: the account cannot log in"),
    comment="accounts of the web application",
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("session_hash", String(64), primary_key=True, comment="SHA-256 of the cookie's token; never the token"),
    Column("user_id", Integer, ForeignKey("web_users.user_id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False, comment="the synchroniser token every form of the session sends"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), comment="logout, account disabled or password reset"),
    comment="server-side sessions: a session ends when ended_at is set, when idle or when too old",
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(32), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True, comment="SHA-256 of the token; never the token"),
    Column("prefix", String(16), nullable=False, comment="the token's first characters, to tell tokens apart"),
    Column("label", String(80), comment="what the token is for, as its creator wrote it"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    comment="per-organisation bearer tokens for machine uploads",
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("attempt_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", Integer, ForeignKey("web_users.user_id"), comment="empty when no such account"),
    Column("address", String(64), nullable=False, comment="the client's address"),
    Column("succeeded", Boolean, nullable=False),
    comment="recent login attempts, for throttling",
)
Index("ix_login_attempts_address_at", login_attempts.c.address, login_attempts.c.at)
Index("ix_login_attempts_user_id_at", login_attempts.c.user_id, login_attempts.c.at)

audit_events = Table(
    "audit_events", metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), comment="the account's login, the API token's prefix, or empty when unknown"),
    Column("role", String(16), comment="partner, steward, ministry, or token"),
    Column("org", String(32), comment="the organisation acted for or on"),
    Column("action", String(40), nullable=False, comment="e.g. login, login.failed, logout, upload, token.use"),
    Column("target", String(120), comment="what was acted on: a batch, a pair, a period"),
    Column("detail", JSON, comment="codes and counts only; never a password or a record value"),
    Column("address", String(64), comment="the client's address"),
    comment="who did what and when in the web application and the accounts command",
)
Index("ix_audit_events_at", audit_events.c.at)

__all__ += ["api_tokens", "audit_events", "login_attempts", "web_sessions", "web_users"]

# --- e-mail notifications to partners (interchange.operations.notify) ------------------------------
# One row per event told (or being told) to an organisation, so that each is sent once. What an event
# is about is a batch id or a source and period: no file name, no record, no address.
notifications = Table(
    "notifications", metadata,
    Column("notification_id", Integer, primary_key=True, autoincrement=True),
    Column("org", String(32), nullable=False),
    Column("event", String(24), nullable=False, comment="batch_held, rows_quarantined, drop_overdue"),
    Column("subject", String(80), nullable=False,
           comment="what the event is about: batch:<id>, or <source>/<period start> for an overdue drop"),
    Column("claimed_at", DateTime(timezone=True), nullable=False, comment="when a run began sending it"),
    Column("sent_at", DateTime(timezone=True), comment="when the SMTP server took it; empty while being sent"),
    Column("recipients", Integer, comment="how many addresses it went to"),
    UniqueConstraint("org", "event", "subject"),
    comment="notifications to partners, each event once: counts and codes only, never a record value",
)

__all__ += ["notifications"]
