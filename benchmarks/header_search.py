"""Finding the headers in pasted text with many header-like lines and no From (the worst case).

.venv/bin/python benchmarks/header_search.py
"""

from __future__ import annotations

import statistics
import time

from mailgw.delivery.message_text import normalise_message

RUNS = 5


def worst_case(lines: int) -> bytes:
    return b"\n".join(b"X-Line-%d: value" % n for n in range(lines))


def main() -> None:
    print("| header-like lines, no From | normalise_message (median of 5) |")
    print("|---|---|")
    for lines in (2_000, 8_000, 50_000):
        raw = worst_case(lines)
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            normalise_message(raw)
            times.append(time.perf_counter() - start)
        print(f"| {lines:,} | {statistics.median(times) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
