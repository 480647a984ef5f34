"""The parser shape every console script shares: one-line usage errors, its exit code, types."""

from __future__ import annotations

import argparse

import pytest

from ksqlpy._cli import base_parser, positive_float, positive_int, whole_number


def test_a_sub_command_fails_in_one_line_with_the_parsers_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = base_parser("tool", "a tool", usage_exit=1, debug=True)
    sub = parser.add_subparsers(dest="command").add_parser("run")
    sub.add_argument("--times", type=positive_int, required=True)
    with pytest.raises(SystemExit) as done:
        parser.parse_args(["run", "--times", "0"])
    assert done.value.code == 1
    err = capsys.readouterr().err
    assert err == "tool run: argument --times: must be 1 or more, got 0 (see tool run --help)\n"
    assert parser.parse_args(["--debug", "run", "--times", "2"]).times == 2


def test_the_default_usage_exit_is_argparses() -> None:
    with pytest.raises(SystemExit) as done:
        base_parser("tool", "a tool").parse_args(["--nope"])
    assert done.value.code == 2


@pytest.mark.parametrize(
    ("convert", "text", "message"),
    [
        (positive_int, "x", "'x' is not a whole number"),
        (whole_number, "-1", "must be 0 or more, got -1"),
        (positive_float, "0", "'0' must be greater than 0"),
        (positive_float, "nan", "'nan' must be greater than 0"),
    ],
)
def test_argument_types_refuse_with_a_reason(convert: object, text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        convert(text)  # type: ignore[operator]
