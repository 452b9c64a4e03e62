"""Command-line parsing of ``python -m bench`` (no load is generated here)."""

from __future__ import annotations

import pytest

from bench.cli import build_parser, main


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--scenarios" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["--scenarios", "9"], ["--servers", "ircd-x"], ["--scale", "0"], ["--clients", "-3"]],
)
def test_bad_arguments_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2


def test_lists_are_parsed() -> None:
    args = build_parser().parse_args(["--scenarios", "1,3", "--servers", "ngircd,ours"])
    assert args.scenarios == [1, 3]
    assert args.servers == ["ngircd", "ours"]


def test_two_process_kind_is_asked_for_not_run_by_default() -> None:
    """ours-x2 (and scenario 7, its Redis hop) run when named; the default stays the peers."""
    parser = build_parser()
    default = parser.parse_args([])
    assert default.servers == ["ours", "ngircd", "miniircd"]
    assert 7 not in default.scenarios
    args = parser.parse_args(["--servers", "ours,ours-x2", "--scenarios", "2,7"])
    assert args.servers == ["ours", "ours-x2"]
    assert args.scenarios == [2, 7]


def test_networks_of_one_two_and_four_and_the_code_before_are_named() -> None:
    parser = build_parser()
    names = "ours,ours-x1,ours-x2,ours-x4,before:ours,before:ours-x4"
    assert parser.parse_args(["--servers", names]).servers == names.split(",")


@pytest.mark.parametrize("servers", ["before:ngircd", "ours-x3", "before:"])
def test_unknown_kinds_are_refused(servers: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--servers", servers]) == 2
    assert "servers are" in capsys.readouterr().err
