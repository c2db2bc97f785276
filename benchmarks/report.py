"""Write one benchmark's section of docs/benchmarks.md, between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

Each benchmark owns its section; the rest of the file is left as it is.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Measured on the project's reference machine (2 cores, 24 GB). Each section says how to reproduce it;
the scripts rewrite their own section.
"""


def relative(path: Path) -> str:
    """``path`` as seen from the repository root (how the README's commands name files)."""
    return os.path.relpath(Path(path).resolve(), DOC.parent.parent)


def machine() -> str:
    return f"{os.cpu_count()} cores ({cpu()}), Python {platform.python_version()}, {platform.machine()}"


def cpu() -> str:
    """The CPU's model and its widest vector extension: CTranslate2's int8 kernels (and so the speech
    model's exact output) differ between AVX2 and AVX-512 VNNI."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown CPU"
    model = next(
        (line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), ""
    )
    flags = next(
        (line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []
    )
    vector = (
        "AVX-512 VNNI"
        if "avx512_vnni" in flags
        else "AVX-512"
        if "avx512f" in flags
        else "AVX2"
        if "avx2" in flags
        else "no AVX2"
    )
    return f"{model or 'unknown CPU'}, {vector}"


def write_section(name: str, title: str, body: str, command: str) -> Path:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = f"{start}\n## {title}\n\nReproduce: `{command}`  \nMeasured {stamp} on {machine()}.\n\n{body.strip()}\n{end}"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")
    return DOC
