"""notifications: sender identity, claim leases, contacts and domain references on messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 21:50:09.739290
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

LEASED = "state IN ('claimed', 'sending')"
QUEUED = "state = 'queued'"


def upgrade() -> None:
    op.create_table('sender_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone_number', sa.String(length=20), nullable=False),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.Column('voice', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_sender_number_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_number')),
    sa.UniqueConstraint('phone_number', name=op.f('uq_sender_number_phone_number'))
    )
    with op.batch_alter_table('sender_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sender_number_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('sender_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_from_name', sa.String(length=120), nullable=True),
    sa.Column('email_from_address', sa.String(length=254), nullable=True),
    sa.Column('reply_domain', sa.String(length=253), nullable=True),
    sa.Column('twilio_messaging_service_sid', sa.String(length=34), nullable=True),
    sa.Column('brand_colour', sa.String(length=7), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_sender_settings_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sender_settings')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_sender_settings_organisation_id'))
    )
    with op.batch_alter_table('sender_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sender_settings_organisation_id'), ['organisation_id'], unique=False)

    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ref', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        # Each index costs every delivery update a write; the unique (organisation_id,
        # dedupe_key) serves look-ups by organisation.
        batch_op.drop_index('ix_outbound_message_organisation_id')
        # The sweep reads queued rows oldest first: by id, with when each is due.
        batch_op.drop_index('ix_outbound_message_queued', postgresql_where=sa.text(QUEUED), sqlite_where=sa.text(QUEUED))
        batch_op.create_index('ix_outbound_message_queued', ['id', 'next_attempt_at'], unique=False, postgresql_where=sa.text(QUEUED), sqlite_where=sa.text(QUEUED))
        batch_op.create_index(batch_op.f('ix_outbound_message_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_message_ref'), ['ref'], unique=False)
        batch_op.create_index('ix_outbound_message_recipient', ['organisation_id', 'recipient'], unique=False)
        batch_op.create_index('ix_outbound_message_leased', ['claim_token', 'lease_until'], unique=False, postgresql_where=sa.text(LEASED), sqlite_where=sa.text(LEASED))
        batch_op.create_foreign_key(batch_op.f('fk_outbound_message_contact_id_contact'), 'contact', ['contact_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ref', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('in_reply_to_id', sa.Integer(), nullable=True))
        # A default for the rows already there; the model sets it on every new row.
        batch_op.add_column(sa.Column('handle_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_inbound_message_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_message_ref'), ['ref'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_inbound_message_contact_id_contact'), 'contact', ['contact_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_inbound_message_in_reply_to_id_outbound_message'), 'outbound_message', ['in_reply_to_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('inbound_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inbound_message_in_reply_to_id_outbound_message'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_inbound_message_contact_id_contact'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inbound_message_ref'))
        batch_op.drop_index(batch_op.f('ix_inbound_message_contact_id'))
        batch_op.drop_column('error')
        batch_op.drop_column('handle_attempts')
        batch_op.drop_column('in_reply_to_id')
        batch_op.drop_column('ref')
        batch_op.drop_column('contact_id')

    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbound_message_contact_id_contact'), type_='foreignkey')
        batch_op.drop_index('ix_outbound_message_leased', postgresql_where=sa.text(LEASED), sqlite_where=sa.text(LEASED))
        batch_op.drop_index('ix_outbound_message_recipient')
        batch_op.drop_index(batch_op.f('ix_outbound_message_ref'))
        batch_op.drop_index(batch_op.f('ix_outbound_message_contact_id'))
        batch_op.create_index('ix_outbound_message_organisation_id', ['organisation_id'], unique=False)
        batch_op.drop_index('ix_outbound_message_queued', postgresql_where=sa.text(QUEUED), sqlite_where=sa.text(QUEUED))
        batch_op.create_index('ix_outbound_message_queued', ['next_attempt_at'], unique=False, postgresql_where=sa.text(QUEUED), sqlite_where=sa.text(QUEUED))
        batch_op.drop_column('lease_until')
        batch_op.drop_column('ref')
        batch_op.drop_column('contact_id')

    op.drop_table('sender_settings')
    op.drop_table('sender_number')
