"""Alembic environment: runs on the connection the application hands over (foreign keys off on SQLite).

Unlike Alembic's template it configures no logging from an alembic.ini: there is none, least of all in the
frozen build (installer/), and the program sets up its own logging.
"""

from alembic import context

from zjtx_desktop.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("迁移必须由程序发起（zjtx_desktop.migrations.upgrade）")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
