"""inbox indexes: the owner's read mark on the thread with a partial index of the unread ones
(the menu's count), the inbox's indexes covering what its filters read (PostgreSQL), and finer
statistics of the search vectors (so a rare word is looked up in the GIN index)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:46:33.049470
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OWNER_UNREAD = 'owner_read_at IS NULL OR owner_read_at < last_activity_at'
INBOX_COLUMNS = [
    'answer_id', 'status', 'question_id', 'touchpoint_id', 'place_id', 'channel', 'has_video',
    'waiting_since',
]
# name: (key columns, included columns)
INBOX_INDEXES = {
    'ix_thread_inbox': (['organisation_id', 'last_activity_at', 'id'], ['owner_id', *INBOX_COLUMNS]),
    'ix_thread_owner_inbox': (
        ['organisation_id', 'owner_id', 'last_activity_at', 'id'], INBOX_COLUMNS,
    ),
}
# The planner's most common lexemes of thread.search_vector: 100 (the default) keeps ~1,000,
# and a word outside them is guessed at half the rarest one's frequency, far too often for a
# rare word, which then is searched for by reading every thread newest first.
SEARCH_STATISTICS = 1000


def upgrade() -> None:
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_read_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE thread SET owner_read_at = (SELECT r.read_at FROM thread_read r"
        " WHERE r.thread_id = thread.id AND r.user_id = thread.owner_id)"
    )
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.create_index(
            'ix_thread_owner_unread', ['organisation_id', 'owner_id'], unique=False,
            postgresql_where=sa.text(OWNER_UNREAD), sqlite_where=sa.text(OWNER_UNREAD),
        )
    if op.get_bind().dialect.name == 'postgresql':
        for name, (columns, included) in INBOX_INDEXES.items():
            op.drop_index(name, table_name='thread')
            op.create_index(name, 'thread', columns, postgresql_include=included)
        op.execute(
            f'ALTER TABLE thread ALTER COLUMN search_vector SET STATISTICS {SEARCH_STATISTICS}'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE thread ALTER COLUMN search_vector SET STATISTICS -1')
        for name, (columns, _included) in INBOX_INDEXES.items():
            op.drop_index(name, table_name='thread')
            op.create_index(name, 'thread', columns)
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_thread_owner_unread',
            postgresql_where=sa.text(OWNER_UNREAD), sqlite_where=sa.text(OWNER_UNREAD),
        )
        batch_op.drop_column('owner_read_at')
