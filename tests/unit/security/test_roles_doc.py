"""docs/security.md shows the roles-to-permissions table exactly as the code defines it."""

from pathlib import Path

from charter.security.roles import ROLE_PERMISSIONS, Permission

SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"
GRANTED, NOT_GRANTED = "✓", "—"


def permission_table() -> str:
    """The Markdown table of ROLE_PERMISSIONS, a row per role and a column per permission."""
    lines = [
        "| Role | " + " | ".join(f"`{p.value}`" for p in Permission) + " |",
        "|---" * (len(Permission) + 1) + "|",
    ]
    for role, permissions in ROLE_PERMISSIONS.items():
        cells = [GRANTED if p in permissions else NOT_GRANTED for p in Permission]
        lines.append(f"| {role.value} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_the_documented_table_is_the_one_in_the_code():
    table = permission_table()

    assert table in SECURITY_DOC.read_text(encoding="utf-8"), (
        "docs/security.md must contain this table (from ROLE_PERMISSIONS):\n" + table
    )


def test_the_table_has_a_row_for_every_role_and_a_column_for_every_permission():
    rows = permission_table().splitlines()

    assert len(rows) == 2 + len(ROLE_PERMISSIONS)
    assert all(row.count("|") == len(Permission) + 2 for row in rows)
