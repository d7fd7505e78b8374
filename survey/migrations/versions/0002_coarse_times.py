"""Anonymity of times: ``submitted_at`` to the hour, ``started_at`` replaced by the answering
duration in seconds; an index for the burst check.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Upgrade converts every row: ``duration_seconds`` = ``submitted_at - started_at`` bounded to
0..86400 (null without a start), then ``submitted_at`` is truncated to the hour.
Downgrade can only approximate: ``started_at`` = the coarse ``submitted_at`` minus the
duration; the exact times are gone for good, which is the point.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MAX_DURATION = 24 * 3600
BATCH = 5000


def _rows(connection, columns: str):
    """Yield the responses' ``id`` and ``columns`` in batches, by id."""
    last = 0
    while True:
        rows = connection.execute(sa.text(
            f"SELECT id, {columns} FROM responses WHERE id > :last ORDER BY id LIMIT {BATCH}"),
            {"last": last}).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _as_datetime(value):
    # SQLite hands back text through a plain text() query.
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def upgrade():
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("duration_seconds", sa.Integer(), nullable=True))
    connection = op.get_bind()
    update = sa.text("UPDATE responses SET duration_seconds = :duration, submitted_at = :hour "
                     "WHERE id = :id")
    for rows in _rows(connection, "started_at, submitted_at"):
        params = []
        for row_id, started, submitted in rows:
            started, submitted = _as_datetime(started), _as_datetime(submitted)
            duration = None
            if started is not None:
                seconds = int((submitted - started).total_seconds())
                duration = min(max(seconds, 0), MAX_DURATION)
            hour = submitted.replace(minute=0, second=0, microsecond=0)
            params.append({"id": row_id, "duration": duration, "hour": hour})
        connection.execute(update, params)
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("started_at")
        batch.create_check_constraint(
            op.f("ck_responses_duration_seconds"), f"duration_seconds >= 0 AND duration_seconds <= {MAX_DURATION}")
        batch.create_index("ix_responses_service_point_id_submitted_at",
                           ["service_point_id", "submitted_at"])


def downgrade():
    with op.batch_alter_table("responses") as batch:
        batch.drop_index("ix_responses_service_point_id_submitted_at")
        batch.drop_constraint(op.f("ck_responses_duration_seconds"), type_="check")
        batch.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
    connection = op.get_bind()
    update = sa.text("UPDATE responses SET started_at = :started WHERE id = :id")
    for rows in _rows(connection, "duration_seconds, submitted_at"):
        params = [{"id": row_id, "started": _as_datetime(submitted) - dt.timedelta(seconds=duration)}
                  for row_id, duration, submitted in rows if duration is not None]
        if params:
            connection.execute(update, params)
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("duration_seconds")
