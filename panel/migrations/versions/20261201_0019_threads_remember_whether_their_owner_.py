"""threads remember whether their owner was told of the answer

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 22:35:03.717996
"""

from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Threads already there were told in their answer's own transaction: true for them.
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_told', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index('ix_thread_untold', ['created_at'], unique=False, postgresql_where=sa.text('NOT owner_told'), sqlite_where=sa.text('NOT owner_told'))


def downgrade() -> None:
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_index('ix_thread_untold', postgresql_where=sa.text('NOT owner_told'), sqlite_where=sa.text('NOT owner_told'))
        batch_op.drop_column('owner_told')
