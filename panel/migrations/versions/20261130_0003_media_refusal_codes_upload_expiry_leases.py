"""media: refusal codes, upload expiry and processing leases

A refused clip keeps why as a code with parameters (worded in the reader's language when
shown); the old ``error`` column keeps the English words of clips refused before. A pending
upload has an expiry (its capability's); a processing clip a lease its worker renews.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 21:40:45.004839
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('error_params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('upload_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lease_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('media_file', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('lease_token')
        batch_op.drop_column('upload_expires_at')
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_code')
