"""`python -m mailgw` and the `mailgw` console script."""

from __future__ import annotations


def main() -> None:
    from mailgw.cli import run

    run()


if __name__ == "__main__":
    main()
