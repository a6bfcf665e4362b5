"""web accounts: users, sessions, API tokens, login attempts and the audit trail

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04 09:00:00.000000

The web application (`interchange serve`, issue 17) keeps its accounts in the warehouse, so that
disabling an account or ending a session holds on every worker: `web_users` (argon2 hashes,
never a password), `web_sessions` (the SHA-256 of each cookie's token and its CSRF token),
`api_tokens` (per organisation, the SHA-256 of each token), `login_attempts` (for throttling)
and `audit_events` (who did what and when).
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_users',
        sa.Column('user_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('login', sa.String(length=64), nullable=False, comment='lowercase; what the user types'),
        sa.Column('role', sa.String(length=16), nullable=False, comment='partner, steward or ministry'),
        sa.Column('org', sa.String(length=32), nullable=True, comment='partner accounts: the one organisation they act for'),
        sa.Column('password_hash', sa.String(length=255), nullable=False, comment='argon2id; never the password'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('password_set_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True, comment='set: the account cannot log in'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_web_users')),
        sa.UniqueConstraint('login', name=op.f('uq_web_users_login')),
        comment='accounts of the web application',
    )
    op.create_table(
        'web_sessions',
        sa.Column('session_hash', sa.String(length=64), nullable=False, comment="SHA-256 of the cookie's token; never the token"),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False, comment='the synchroniser token every form of the session sends'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True, comment='logout, account disabled or password reset'),
        sa.ForeignKeyConstraint(['user_id'], ['web_users.user_id'], name=op.f('fk_web_sessions_user_id_web_users')),
        sa.PrimaryKeyConstraint('session_hash', name=op.f('pk_web_sessions')),
        comment='server-side sessions: a session ends when ended_at is set, when idle or when too old',
    )
    with op.batch_alter_table('web_sessions') as batch:
        batch.create_index('ix_web_sessions_user_id', ['user_id'], unique=False)
    op.create_table(
        'api_tokens',
        sa.Column('token_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('org', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False, comment='SHA-256 of the token; never the token'),
        sa.Column('prefix', sa.String(length=16), nullable=False, comment="the token's first characters, to tell tokens apart"),
        sa.Column('label', sa.String(length=80), nullable=True, comment='what the token is for, as its creator wrote it'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('token_id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
        comment='per-organisation bearer tokens for machine uploads',
    )
    with op.batch_alter_table('api_tokens') as batch:
        batch.create_index('ix_api_tokens_org', ['org'], unique=False)
    op.create_table(
        'login_attempts',
        sa.Column('attempt_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True, comment='empty when no such account'),
        sa.Column('address', sa.String(length=64), nullable=False, comment="the client's address"),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['web_users.user_id'], name=op.f('fk_login_attempts_user_id_web_users')),
        sa.PrimaryKeyConstraint('attempt_id', name=op.f('pk_login_attempts')),
        comment='recent login attempts, for throttling',
    )
    with op.batch_alter_table('login_attempts') as batch:
        batch.create_index('ix_login_attempts_address_at', ['address', 'at'], unique=False)
        batch.create_index('ix_login_attempts_user_id_at', ['user_id', 'at'], unique=False)
    op.create_table(
        'audit_events',
        sa.Column('event_id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=True, comment="the account's login, the API token's prefix, or empty when unknown"),
        sa.Column('role', sa.String(length=16), nullable=True, comment='partner, steward, ministry, or token'),
        sa.Column('org', sa.String(length=32), nullable=True, comment='the organisation acted for or on'),
        sa.Column('action', sa.String(length=40), nullable=False, comment='e.g. login, login.failed, logout, upload, token.use'),
        sa.Column('target', sa.String(length=120), nullable=True, comment='what was acted on: a batch, a pair, a period'),
        sa.Column('detail', sa.JSON(), nullable=True, comment='codes and counts only; never a password or a record value'),
        sa.Column('address', sa.String(length=64), nullable=True, comment="the client's address"),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_audit_events')),
        comment='who did what and when in the web application and the accounts command',
    )
    with op.batch_alter_table('audit_events') as batch:
        batch.create_index('ix_audit_events_at', ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_index('ix_audit_events_at')
    op.drop_table('audit_events')
    with op.batch_alter_table('login_attempts') as batch:
        batch.drop_index('ix_login_attempts_user_id_at')
        batch.drop_index('ix_login_attempts_address_at')
    op.drop_table('login_attempts')
    with op.batch_alter_table('api_tokens') as batch:
        batch.drop_index('ix_api_tokens_org')
    op.drop_table('api_tokens')
    with op.batch_alter_table('web_sessions') as batch:
        batch.drop_index('ix_web_sessions_user_id')
    op.drop_table('web_sessions')
    op.drop_table('web_users')
