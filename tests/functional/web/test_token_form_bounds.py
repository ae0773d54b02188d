"""The token form's expiry day at the edges of what the databases store (issue 7).

The form takes a day (YYYY-MM-DD) and stores its midnight in UTC, so every
day Python can read is a moment every database stores; days before today are
refused for being past, and anything else for not being a day.
"""

import datetime as dt

import pytest
from sqlalchemy import func, select

from charter.accounts.models import ApiToken


def submit(app, expires, status):
    form = app.get("/account/tokens").forms["create-token-form"]
    form["name"] = "edge"
    form["scope"] = "read"
    # A browser's date input sends YYYY-MM-DD; other clients may send anything.
    form["expires"].force_value(expires)
    return form.submit(status=status)


def error_beside_expiry(page):
    return page.html.select_one("#token-expires-error").get_text(strip=True)


def tokens_of(dbsession, user):
    dbsession.expire_all()
    return list(dbsession.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))


def test_the_last_day_is_kept_and_listed(testapp, staff_user, dbsession):
    submit(testapp, "9999-12-31", 200)

    (token,) = tokens_of(dbsession, staff_user)
    assert token.expires == dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    row = testapp.get("/account/tokens").html.select_one(".token-row")
    assert "9999-12-31 00:00 UTC" in row.get_text()
    assert row.select_one(".token-status").get_text(strip=True) == "active"


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("0001-01-01", "the expiry must be in the future"),
        ("0999-12-31", "the expiry must be in the future"),
        ("1000-01-01", "the expiry must be in the future"),
        ("0000-01-01", "enter a date such as 2030-01-31"),
        ("10000-01-01", "enter a date such as 2030-01-31"),
        ("9999-12-32", "enter a date such as 2030-01-31"),
        ("9999-12-31T23:59:59-14:00", "enter a date such as 2030-01-31"),
        ("9" * 10_000, "enter a date such as 2030-01-31"),
    ],
)
def test_days_outside_are_refused_beside_the_field(
    testapp, staff_user, dbsession, expires, message
):
    page = submit(testapp, expires, 400)

    assert error_beside_expiry(page) == message
    assert dbsession.scalar(select(func.count()).select_from(ApiToken)) == 0
