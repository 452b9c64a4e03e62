"""``python -m bench.uploads``: sizes, the summary of a size, and a run end to end against a
real server (the figures' values are the benchmark's business, not the test's)."""

from __future__ import annotations

import pytest

from bench.uploads import label, main, parse_size, summarize


def test_sizes_are_read_and_shown() -> None:
    assert [parse_size(text) for text in ("300", "10k", "1M", " 2m ")] == [
        300, 10240, 1 << 20, 2 << 20
    ]  # fmt: skip
    for bad in ("", "k", "ten", "-1k", "0"):
        with pytest.raises(ValueError):
            parse_size(bad)
    assert [label(size) for size in (300, 10240, 1 << 20, 1536)] == [
        "300 B", "10 KiB", "1 MiB", "1536 B"
    ]  # fmt: skip


def test_a_size_is_summarized_by_throughput_and_nearest_rank_latencies() -> None:
    row = summarize(1_000_000, [0.5, 0.1, 0.2, 0.2])  # 4 MB in 1 s
    assert row.count == 4 and row.mb_per_s == pytest.approx(4.0)
    assert (row.p50_ms, row.p99_ms, row.max_ms) == (200.0, 500.0, 500.0)
    with pytest.raises(ValueError):
        summarize(10, [])


@pytest.mark.parametrize("auth", ["token", "basic"])
def test_a_run_uploads_to_a_real_server(auth: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--sizes", "20k,100k", "--count", "2", "--auth", auth])
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(f"2 of each size, auth {auth}")
    rows = [line.split() for line in out[2:]]
    assert [row[:3] for row in rows] == [["20", "KiB", "2"], ["100", "KiB", "2"]]
    assert all(float(row[3]) > 0 for row in rows)


def test_bad_arguments_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--sizes", "10q"], ["--count", "0"]):
        with pytest.raises(SystemExit):
            main(argv)
    assert "--sizes" in capsys.readouterr().err
