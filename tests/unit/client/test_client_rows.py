"""``Row``: a tuple that also answers by column name."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

from ksqlpy import Column, Row, SqlType
from ksqlpy._rows import row_factory, row_type

COLUMNS = (Column("ID", SqlType("INTEGER")), Column("name", SqlType("STRING")))


def _row(*values: object) -> Row:
    return row_type(COLUMNS)(values)


def test_row_is_a_tuple_with_zero_based_indices_and_names() -> None:
    row = _row(1, "alice")
    assert tuple(row) == (1, "alice")
    assert isinstance(row, tuple)
    assert row[0] == row["ID"] == 1
    assert row[-1] == row["name"] == "alice"
    assert row[0:1] == (1,)
    ident, name = row
    assert (ident, name) == (1, "alice")
    assert row.columns == ("ID", "name")


def test_names_fall_back_to_case_insensitive_lookup() -> None:
    row = _row(1, "alice")
    assert row["id"] == 1
    assert row["NAME"] == "alice"
    assert row.get("missing", "d") == "d"


def test_an_unknown_name_says_which_columns_exist() -> None:
    with pytest.raises(KeyError, match="no column 'X'; the columns are ID, name"):
        _row(1, "a")["X"]


def test_ambiguous_case_insensitive_names_are_not_guessed() -> None:
    cls = row_type((Column("a", SqlType("INTEGER")), Column("A", SqlType("INTEGER"))))
    row = cls((1, 2))
    assert (row["a"], row["A"]) == (1, 2)


def test_as_dict_repr_and_pickle() -> None:
    row = _row(1, "alice")
    assert row.as_dict() == {"ID": 1, "name": "alice"}
    assert dict(zip(row.keys(), row, strict=True)) == row.as_dict()
    assert repr(row) == "Row(ID=1, name='alice')"
    copy = pickle.loads(pickle.dumps(row))
    assert copy == row
    assert copy["name"] == "alice"


def test_factory_converts_only_what_json_cannot_hold_and_checks_width() -> None:
    build, exact = row_factory(
        (Column("A", SqlType("INTEGER")), Column("D", SqlType("DECIMAL", precision=4, scale=2)))
    )
    assert exact
    row = build([1, Decimal("1.50")])
    assert row == (1, Decimal("1.50"))
    assert build([None, None]) == (None, None)
    with pytest.raises(ValueError, match="1 values but the header has 2 columns"):
        build([1])


def test_a_value_that_does_not_convert_is_kept_as_sent() -> None:
    # ksqlDB's own REST test "select * against CST table with headers": the header lists
    # `K`, `HEADER` BYTES, `TEXT` but the rows carry K, TEXT, HEADER.
    build, _ = row_factory(
        (
            Column("K", SqlType("INTEGER")),
            Column("HEADER", SqlType("BYTES"), header="abc"),
            Column("TEXT", SqlType("STRING")),
        )
    )
    assert build([1, "a1", "IQ=="]) == (1, "a1", "IQ==")
    assert build([2, "IQ==", "a2"]) == (2, b"!", "a2")
