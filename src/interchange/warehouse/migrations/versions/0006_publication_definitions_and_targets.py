"""publication definitions and targets: ministry_indicators, target columns, definitions per version

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 15:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_TARGET_COMMENT = "programme periods: the programme's target for the indicator's total"


def upgrade() -> None:
    op.create_table('ministry_indicators',
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('indicator_group', sa.String(length=64), nullable=False),
    sa.Column('name_lt', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('definition_lt', sa.Text(), nullable=False),
    sa.Column('definition_en', sa.Text(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('sensitivity', sa.String(length=16), nullable=False, comment='standard, or dv (stricter suppression)'),
    sa.Column('numerator', sa.String(length=64), nullable=True, comment='ratios: the indicator above the line'),
    sa.Column('denominator', sa.String(length=64), nullable=True, comment='ratios: the indicator below the line'),
    sa.Column('breakdowns', sa.Text(), nullable=False, comment='the published breakdowns, e.g. total, month, org'),
    sa.Column('catalogue_version', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('period', 'version', 'indicator', name=op.f('pk_ministry_indicators')),
    comment='definitions of the indicators of approved versions, as the catalogue gave them when computed'
    )
    with op.batch_alter_table('publications') as batch:
        batch.add_column(sa.Column('definitions', sa.JSON(), nullable=True,
                                   comment="the catalogue's definition of every indicator of the version"))
    with op.batch_alter_table('publication_cells') as batch:
        batch.add_column(sa.Column('target', sa.Float(), nullable=True, comment=_TARGET_COMMENT))
    with op.batch_alter_table('ministry_cells') as batch:
        batch.add_column(sa.Column('target', sa.Float(), nullable=True, comment=_TARGET_COMMENT))


def downgrade() -> None:
    with op.batch_alter_table('ministry_cells') as batch:
        batch.drop_column('target')
    with op.batch_alter_table('publication_cells') as batch:
        batch.drop_column('target')
    with op.batch_alter_table('publications') as batch:
        batch.drop_column('definitions')
    op.drop_table('ministry_indicators')
