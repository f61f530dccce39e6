"""Give every user who has no role yet the ``member`` role.

Data-only migration. The rows it creates are marked ``granted_by = 'system-backfill'`` so that
``down`` removes exactly those rows and nothing an administrator granted by hand.
The SQL is portable (SQLite, PostgreSQL, MySQL/MariaDB, SQL Server), so one code path serves
every dialect. The engine owns the transaction: these functions never commit.
"""

from sqlalchemy import text

description = "Backfill: every user without a role gets the 'member' role (reversible, down removes only the backfilled rows)"
depends = ["2025.01.26.094500_user_roles"]

BACKFILL_MARK = "system-backfill"


def up(conn):
    conn.execute(
        text(
            "INSERT INTO user_roles (user_id, role_id, granted_by) "
            "SELECT u.id, r.id, :mark FROM users u CROSS JOIN roles r "
            "WHERE r.name = 'member' "
            "AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)"
        ),
        {"mark": BACKFILL_MARK},
    )


def down(conn):
    conn.execute(
        text("DELETE FROM user_roles WHERE granted_by = :mark"),
        {"mark": BACKFILL_MARK},
    )


def verify(conn):
    member = conn.execute(text("SELECT id FROM roles WHERE name = 'member'")).scalar()
    if member is None:
        raise RuntimeError("role 'member' is missing")
    without_role = conn.execute(
        text(
            "SELECT COUNT(*) FROM users u "
            "WHERE NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id)"
        )
    ).scalar_one()
    if without_role:
        raise RuntimeError(f"{without_role} user(s) still have no role")
