"""Put a fix plan on disk, or show it as a diff; a file is either fully rewritten or untouched.

Each file is written to a temporary file beside it and renamed over it, so that an
interrupted run never leaves half a manifest, and it is read once more just before: a
file that an editor saved in the meantime is left alone.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

from tokenlint.fix.plan import FixPlan
from tokenlint.k8s.credentials import mask


def unified_diff(plan: FixPlan) -> str:
    """The plan as one unified diff, files in name order (``/dev/null`` for new files).

    Context lines come from the user's files and may hold a credential: they are shown
    with it masked (:func:`~tokenlint.k8s.credentials.mask`), never as written."""
    chunks: list[str] = []
    for path in sorted(plan.after):
        before = plan.before.get(path)
        lines = difflib.unified_diff(
            (before or "").splitlines(keepends=True),
            plan.after[path].splitlines(keepends=True),
            fromfile="/dev/null" if before is None else f"a/{path}",
            tofile=f"b/{path}",
        )
        chunks.append(
            "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        )
    return mask("".join(chunks))


def write_plan(plan: FixPlan) -> dict[str, str]:
    """Write every changed file; return the files that could not be written, with why."""
    failed: dict[str, str] = {}
    for path in sorted(plan.after):
        try:
            _write(Path(path), plan.before.get(path), plan.after[path])
        except _Changed:
            failed[path] = "it changed while fix ran; run fix again"
        except OSError as error:
            failed[path] = f"cannot write it: {error.strerror or error}"
    return failed


class _Changed(Exception):
    pass


def _write(path: Path, before: str | None, after: str) -> None:
    if before is None:
        if path.exists():
            raise _Changed
        mode = 0o644
    else:
        if path.read_bytes() != before.encode("utf-8"):
            raise _Changed
        mode = path.stat().st_mode & 0o7777
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tokenlint", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(after.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
