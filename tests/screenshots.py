"""Screenshots of browser tests, for a reviewer: saved into the test's tmp dir and, when $GRADCHAIN_SCREENSHOTS is
set, into that folder too (created if missing), under the same name."""
from __future__ import annotations

import os
from pathlib import Path


def save_screenshot(page, tmp_dir: Path, name: str, *extra_dirs: Path) -> Path:
    """Full-page PNG `name`.png in tmp_dir (returned), $GRADCHAIN_SCREENSHOTS and each of extra_dirs."""
    shot = Path(tmp_dir) / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    dirs = [Path(d) for d in extra_dirs]
    if os.environ.get("GRADCHAIN_SCREENSHOTS"):
        dirs.append(Path(os.environ["GRADCHAIN_SCREENSHOTS"]))
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
        (d / shot.name).write_bytes(shot.read_bytes())
    return shot
