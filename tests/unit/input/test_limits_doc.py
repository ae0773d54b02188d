"""docs/security.md states the input limits the code enforces ("Input limits")."""

from pathlib import Path

import pytest

from charter.accounts import services as accounts
from charter.blobs import format_size
from charter.content import models, schemas
from charter.input import cookies, json, tween
from charter.tree.names import MAX_DEPTH, MAX_NAME_LENGTH

SECURITY_DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


@pytest.mark.parametrize(
    "phrase",
    [
        f"1 to {MAX_NAME_LENGTH} of `A-Z a-z 0-9 . _ ~ -`; at most {MAX_DEPTH} levels",
        f"1 to {schemas.MAX_TITLE_LENGTH} characters, one line",
        f"{schemas.MAX_DESCRIPTION_LENGTH:,} characters",
        f"{schemas.MAX_BODY_LENGTH:,} characters and {format_size(schemas.MAX_BODY_BYTES)}",
        f"its HTML at most {format_size(models.MAX_BODY_HTML_BYTES)}",
        f"| an email address, a full name | {accounts.MAX_EMAIL_LENGTH} characters",
        f"at most {accounts.MAX_PASSWORD_LENGTH:,} characters",
        f"/ {accounts.MAX_TITLE_LENGTH} characters, one line",
        f"over {format_size(tween.MAX_QUERY_STRING_BYTES)}, over {tween.MAX_QUERY_PARAMETERS}",
        f"nesting deeper than {json.MAX_DEPTH}",
        f"| the `Cookie` header | over {format_size(cookies.MAX_COOKIE_HEADER_BYTES)}",
        f"more than {json.MAX_ITEMS:,} entries",
    ],
)
def test_the_input_limits_table_matches_the_code(phrase):
    assert phrase in SECURITY_DOC.read_text(encoding="utf-8")
