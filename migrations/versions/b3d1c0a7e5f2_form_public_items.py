"""forms keep their items as the candidate sees them

Revision ID: b3d1c0a7e5f2
Revises: 73848cad71f7
Create Date: 2026-11-27 01:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b3d1c0a7e5f2"
down_revision = "73848cad71f7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("test_form", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_items", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("test_form", schema=None) as batch_op:
        batch_op.drop_column("public_items")
