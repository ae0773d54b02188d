"""What a node's name may be, and the reason given when it may not."""

import pytest

from charter.errors import ValidationFailed
from charter.tree.names import (
    MAX_NAME_LENGTH,
    RESERVED_ROOT_NAMES,
    check_name,
    name_problem,
    suggest_name,
)

ONLY_SAFE_CHARACTERS = "a name may hold only letters, digits, '.', '_', '~' and '-', not "


@pytest.mark.parametrize(
    "name",
    ["a", "handbook", "Annual-Report_2026", "v1.2", "~home", "a..b", "...", "x" * MAX_NAME_LENGTH],
)
def test_valid_names_have_no_problem(name):
    assert name_problem(name) is None
    assert name_problem(name, in_root=True) is None
    check_name(name)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "a name cannot be empty"),
        ("x" * (MAX_NAME_LENGTH + 1), f"a name has at most {MAX_NAME_LENGTH} characters"),
        ("@x", "names starting with '@' or '_' are reserved for views"),
        ("@@edit", "names starting with '@' or '_' are reserved for views"),
        ("_x", "names starting with '@' or '_' are reserved for views"),
        (".", "'.' and '..' are not names"),
        ("..", "'.' and '..' are not names"),
        ("annual report", ONLY_SAFE_CHARACTERS + "' '"),
        ("a/b", ONLY_SAFE_CHARACTERS + "'/'"),
        ("a\\b", ONLY_SAFE_CHARACTERS + "'\\\\'"),
        ("café", ONLY_SAFE_CHARACTERS + "'é'"),
        ("日本", ONLY_SAFE_CHARACTERS + "'日' '本'"),
        ("a?b#c", ONLY_SAFE_CHARACTERS + "'#' '?'"),
        ("tab\there", ONLY_SAFE_CHARACTERS + "'\\t'"),
    ],
)
def test_bad_names_are_refused_with_the_reason(name, problem):
    assert name_problem(name) == problem
    with pytest.raises(ValidationFailed) as caught:
        check_name(name)
    assert caught.value.errors == [("name", problem)]
    assert str(caught.value) == f"name: {problem}"


@pytest.mark.parametrize("name", sorted(RESERVED_ROOT_NAMES))
def test_reserved_root_names_are_refused_at_the_root(name):
    problem = f"{name!r} is reserved at the top of the site"

    assert name_problem(name, in_root=True) == problem
    with pytest.raises(ValidationFailed) as caught:
        check_name(name, in_root=True)
    assert caught.value.errors == [("name", problem)]


@pytest.mark.parametrize("name", sorted(RESERVED_ROOT_NAMES))
def test_reserved_root_names_are_fine_below_the_root(name):
    assert name_problem(name) is None
    check_name(name, in_root=False)


def test_the_routes_served_before_traversal_are_reserved_at_the_root():
    assert {"api", "static", "healthz", "readyz"} <= RESERVED_ROOT_NAMES


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Über Ünïcödé", "uber-unicode"),
        ("Straße und Öl", "strasse-und-ol"),
        ("naïve café.pdf", "naive-cafe.pdf"),
        ("日本語", "ribenyu"),
        ("Добрый день", "dobryy-den"),
        ("Ελληνικά", "ellinika"),
        ("😀", "grinning"),
        ("\u200b", "item"),
    ],
)
def test_generated_names_transliterate_letters_outside_ascii(title, name):
    assert suggest_name(title) == name
    assert name_problem(suggest_name(title)) is None
