"""A sensitive blob belongs to one record: blob.linked_at marks the blob a licence check or a
signed document took as its own, so a second reference is refused.

Blobs that rows already reference are marked linked (the earliest reference's time is not
known; the migration's time stands for it).

Revision ID: 0006_blob_links
Revises: 0005_covering_indexes
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_blob_links"
down_revision = "0005_covering_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("blob") as batch:
        batch.add_column(sa.Column("linked_at", sa.DateTime(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE blob SET linked_at = CURRENT_TIMESTAMP WHERE sensitive AND ("
            " sha256 IN (SELECT photo_sha256 FROM licence_check WHERE photo_sha256 IS NOT NULL)"
            " OR sha256 IN (SELECT signature_sha256 FROM signed_document))"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("blob") as batch:
        batch.drop_column("linked_at")
