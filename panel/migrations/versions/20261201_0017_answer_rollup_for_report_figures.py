"""answer rollup for report figures

The answers counted per day, question, touchpoint and channel with their scores, kept by
triggers on PostgreSQL (see panel/reports/rollup.py); the organisation's zone for its days.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 20:17:14.636339
"""

from alembic import op
import sqlalchemy as sa

SCORES = range(1, 11)
KEY = "organisation_id, day, question_id, touchpoint_id, channel"
COUNTS = "answers, " + ", ".join(f"s{n}" for n in SCORES)


def _counted(rows: str, sign: str) -> str:
    """SELECT of the rollup's key and counts of the answers in ``rows`` (a table or transition
    table aliased ``a``), each count multiplied by ``sign``; ``o`` is their organisation (an
    organisation deleted in this transaction drops out, with its rollup)."""
    scores = ", ".join(
        f"{sign} * count(*) FILTER (WHERE a.score = {n})" for n in SCORES
    )
    return f"""
        SELECT a.organisation_id,
               (a.created_at AT TIME ZONE coalesce(o.rollup_zone, 'Europe/Stockholm'))::date,
               a.question_id, coalesce(a.touchpoint_id, 0), a.channel,
               {sign} * count(*), {scores}
        FROM {rows} a JOIN organisation o ON o.id = a.organisation_id
        GROUP BY 1, 2, 3, 4, 5"""


def _triggers() -> list[str]:
    sums = ", ".join(f"sum(c.{c.strip()})" for c in COUNTS.split(","))
    nonzero = " OR ".join(f"c.{c.strip()} <> 0" for c in COUNTS.split(","))
    return [
        # The zone the rollup counts an organisation's days in: its settings' time zone where
        # PostgreSQL knows it, else Stockholm's (as panel.reports.filters.zone_named reads it).
        """
        CREATE FUNCTION stoop_rollup_zone(name text) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = $1)
                        THEN $1 ELSE 'Europe/Stockholm' END
        $$
        """,
        """
        CREATE FUNCTION organisation_rollup_zone() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' OR NEW.rollup_zone IS NULL
               OR (NEW.settings->>'timezone') IS DISTINCT FROM (OLD.settings->>'timezone') THEN
                NEW.rollup_zone := stoop_rollup_zone(NEW.settings->>'timezone');
            ELSE
                NEW.rollup_zone := OLD.rollup_zone;
            END IF;
            RETURN NEW;
        END
        $$
        """,
        "CREATE TRIGGER organisation_rollup_zone BEFORE INSERT OR UPDATE ON organisation "
        "FOR EACH ROW EXECUTE FUNCTION organisation_rollup_zone()",
        # Counted again, in the new zone, when an organisation's zone changes.
        f"""
        CREATE FUNCTION answer_rollup_rebuild(org integer) RETURNS void LANGUAGE sql AS $$
            DELETE FROM answer_rollup WHERE organisation_id = org;
            INSERT INTO answer_rollup ({KEY}, {COUNTS}, compacted)
            SELECT c.*, true FROM ({_counted("(SELECT * FROM answer WHERE organisation_id = org)", "1")}) c;
        $$
        """,
        """
        CREATE FUNCTION organisation_rollup_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM answer_rollup_rebuild(NEW.id);
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER organisation_rollup_rebuild AFTER UPDATE ON organisation FOR EACH ROW "
        "WHEN (OLD.rollup_zone IS DISTINCT FROM NEW.rollup_zone) "
        "EXECUTE FUNCTION organisation_rollup_rebuild()",
        # Rows of changes, one per key a statement touched.
        f"""
        CREATE FUNCTION answer_rollup_added() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO answer_rollup ({KEY}, {COUNTS}) {_counted("added", "1")};
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE FUNCTION answer_rollup_removed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO answer_rollup ({KEY}, {COUNTS}) {_counted("removed", "-1")};
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE FUNCTION answer_rollup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO answer_rollup ({KEY}, {COUNTS})
            SELECT {KEY.replace("organisation_id", "c.organisation_id")}, {sums}
            FROM ({_counted("added", "1")}
                  UNION ALL {_counted("removed", "-1")}) c ({KEY}, {COUNTS})
            GROUP BY 1, 2, 3, 4, 5
            HAVING {nonzero.replace("c.", "sum(c.").replace(" <> 0", ") <> 0")};
            RETURN NULL;
        END
        $$
        """,
        "CREATE TRIGGER answer_rollup_added AFTER INSERT ON answer "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION answer_rollup_added()",
        "CREATE TRIGGER answer_rollup_removed AFTER DELETE ON answer "
        "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
        "EXECUTE FUNCTION answer_rollup_removed()",
        "CREATE TRIGGER answer_rollup_changed AFTER UPDATE ON answer "
        "REFERENCING NEW TABLE AS added OLD TABLE AS removed FOR EACH STATEMENT "
        "EXECUTE FUNCTION answer_rollup_changed()",
    ]


def _dropped() -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS answer_rollup_changed ON answer",
        "DROP TRIGGER IF EXISTS answer_rollup_removed ON answer",
        "DROP TRIGGER IF EXISTS answer_rollup_added ON answer",
        "DROP TRIGGER IF EXISTS organisation_rollup_rebuild ON organisation",
        "DROP TRIGGER IF EXISTS organisation_rollup_zone ON organisation",
        "DROP FUNCTION IF EXISTS answer_rollup_changed()",
        "DROP FUNCTION IF EXISTS answer_rollup_removed()",
        "DROP FUNCTION IF EXISTS answer_rollup_added()",
        "DROP FUNCTION IF EXISTS organisation_rollup_rebuild()",
        "DROP FUNCTION IF EXISTS answer_rollup_rebuild(integer)",
        "DROP FUNCTION IF EXISTS organisation_rollup_zone()",
        "DROP FUNCTION IF EXISTS stoop_rollup_zone(text)",
    ]


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('answer_rollup',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('s1', sa.Integer(), nullable=False),
    sa.Column('s2', sa.Integer(), nullable=False),
    sa.Column('s3', sa.Integer(), nullable=False),
    sa.Column('s4', sa.Integer(), nullable=False),
    sa.Column('s5', sa.Integer(), nullable=False),
    sa.Column('s6', sa.Integer(), nullable=False),
    sa.Column('s7', sa.Integer(), nullable=False),
    sa.Column('s8', sa.Integer(), nullable=False),
    sa.Column('s9', sa.Integer(), nullable=False),
    sa.Column('s10', sa.Integer(), nullable=False),
    sa.Column('compacted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_answer_rollup_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_rollup'))
    )
    with op.batch_alter_table('answer_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_answer_rollup_day', ['organisation_id', 'day'], unique=False)
        batch_op.create_index('ix_answer_rollup_fresh', ['id'], unique=False, postgresql_where=sa.text('NOT compacted'), sqlite_where=sa.text('NOT compacted'))
        batch_op.create_index(batch_op.f('ix_answer_rollup_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ux_answer_rollup_key', ['organisation_id', 'day', 'question_id', 'touchpoint_id', 'channel'], unique=True, postgresql_where=sa.text('compacted'), sqlite_where=sa.text('compacted'))

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rollup_zone', sa.String(length=64), nullable=True))

    # ### end Alembic commands ###

    # PostgreSQL keeps the rollup with triggers; the existing answers are counted once here
    # (the zone trigger sets every organisation's zone, which counts its answers). SQLite, the
    # embedded default, has the table but reports read the answers there.
    if op.get_bind().dialect.name == "postgresql":
        for statement in _triggers():
            op.execute(statement)
        op.execute("UPDATE organisation SET rollup_zone = NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _dropped():
            op.execute(statement)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('rollup_zone')

    with op.batch_alter_table('answer_rollup', schema=None) as batch_op:
        batch_op.drop_index('ux_answer_rollup_key', postgresql_where=sa.text('compacted'), sqlite_where=sa.text('compacted'))
        batch_op.drop_index(batch_op.f('ix_answer_rollup_organisation_id'))
        batch_op.drop_index('ix_answer_rollup_fresh', postgresql_where=sa.text('NOT compacted'), sqlite_where=sa.text('NOT compacted'))
        batch_op.drop_index('ix_answer_rollup_day')

    op.drop_table('answer_rollup')
    # ### end Alembic commands ###
