"""Screenshots of what session 10 changed on pages the lead touched, for docs/console.md: a
console page asked with a bad parameter (it answers a page naming the parameter, not raw JSON),
at desktop and phone width, as the demo supervisor (``tools/screenshots.py``'s `run`).

    .venv/bin/python tools/screenshots_session10.py [--out docs/screenshots] [--keep] [--only ...]
"""

from __future__ import annotations

import sys

from screenshots import SIZES, SUPERVISOR, Shots, launch, run, signed_in


def shoot(base: str, shots: Shots) -> None:
    with launch() as browser:
        for size in SIZES:
            with signed_in(browser, base, SUPERVISOR, size) as page:
                answer = page.goto(f"{base}/reports?days=trinta")
                assert answer is not None and answer.status == 422
                shots.take(page, f"error-bad-parameter-{size}")


if __name__ == "__main__":
    sys.exit(run(shoot, __doc__))
