"""touchpoints: schedules and funnels

A touchpoint's schedule (question A from one day, B from a later one) and its funnel: daily
counters of views, starts and answers per source, with nothing about who.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 02:05:33.477057
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('touchpoint_funnel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('event', sa.String(length=10), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_touchpoint_funnel_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_touchpoint_funnel_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touchpoint_funnel')),
    sa.UniqueConstraint('touchpoint_id', 'day', 'source', 'event', name=op.f('uq_touchpoint_funnel_touchpoint_id_day_source_event'))
    )
    with op.batch_alter_table('touchpoint_funnel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_touchpoint_funnel_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_touchpoint_funnel_touchpoint_id'), ['touchpoint_id'], unique=False)

    op.create_table('touchpoint_schedule_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_touchpoint_schedule_entry_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_touchpoint_schedule_entry_question_id_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_touchpoint_schedule_entry_touchpoint_id_touchpoint'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touchpoint_schedule_entry')),
    sa.UniqueConstraint('touchpoint_id', 'starts_on', name=op.f('uq_touchpoint_schedule_entry_touchpoint_id_starts_on'))
    )
    with op.batch_alter_table('touchpoint_schedule_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_touchpoint_schedule_entry_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_touchpoint_schedule_entry_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_touchpoint_schedule_entry_touchpoint_id'), ['touchpoint_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('touchpoint_schedule_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_touchpoint_schedule_entry_touchpoint_id'))
        batch_op.drop_index(batch_op.f('ix_touchpoint_schedule_entry_question_id'))
        batch_op.drop_index(batch_op.f('ix_touchpoint_schedule_entry_organisation_id'))

    op.drop_table('touchpoint_schedule_entry')
    with op.batch_alter_table('touchpoint_funnel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_touchpoint_funnel_touchpoint_id'))
        batch_op.drop_index(batch_op.f('ix_touchpoint_funnel_organisation_id'))

    op.drop_table('touchpoint_funnel')
