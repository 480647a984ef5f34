"""JSON values write DECIMAL columns as ksqlDB does: with their scale, a zero as 0."""

from __future__ import annotations

from decimal import Decimal

from ksqlpy.local.engine.json_serde import JsonSerde
from ksqlpy.local.engine.metastore import Column
from ksqlpy.local.engine.types import DOUBLE, DecimalType

PRICE = Column("PRICE", DecimalType("DECIMAL", 4, 2))


def test_a_decimal_keeps_its_scale_and_reads_back_exactly() -> None:
    serde = JsonSerde([PRICE, Column("D", DOUBLE)])
    data = serde.serialize([Decimal("12.30"), 1.5])
    assert data == b'{"PRICE":12.30,"D":1.5}'
    assert serde.deserialize(data) == [Decimal("12.30"), 1.5]


def test_a_zero_decimal_is_written_without_scale() -> None:
    assert JsonSerde([PRICE]).serialize([Decimal("0.00")]) == b'{"PRICE":0}'
    assert JsonSerde([PRICE], unwrapped=True).serialize([Decimal("10.10")]) == b"10.10"


def test_decimals_wider_than_28_digits_are_read_whole() -> None:
    wide = Column("V", DecimalType("DECIMAL", 33, 16))
    data = b'{"V": 12345678987654321.2345678987654321}'
    assert JsonSerde([wide]).deserialize(data) == [Decimal("12345678987654321.2345678987654321")]
