"""Measure a pre-commit run with the parse cache: cold, warm, and warm with one file changed.

Builds a repository of about 10,000 documents in about 300 files by repeating the
rendered charts of a corpus with renamed namespaces, then times ``tokenlint lint
--changed-only FILE`` as pre-commit runs it (a fresh process each time), plus the pieces
of a warm run that cannot be cached: interpreter start-up and imports.

usage: python benchmarks/precommit_cache.py CORPUS_DIR [--documents 10000] [--files 300] [--repeat 5]

CORPUS_DIR holds multi-document YAML files (for example the project corpus's rendered/).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOC_SPLIT = re.compile(r"^---[ \t]*$", re.MULTILINE)
NAMESPACE = re.compile(r"^(\s*namespace:\s*)[\"']?([A-Za-z0-9.-]+)[\"']?\s*$", re.MULTILINE)
TOKENLINT = [sys.executable, "-m", "tokenlint"]


def build_repository(corpus: Path, out: Path, documents: int, files: int) -> list[Path]:
    """About ``documents`` documents from ``corpus``, repeated with renamed namespaces, in ``files`` files."""
    docs = []
    for path in sorted(corpus.glob("*.yaml")):
        docs += [d.strip("\n") for d in DOC_SPLIT.split(path.read_text()) if re.search(r"^kind:", d, re.MULTILINE)]
    if not docs:
        raise SystemExit(f"no Kubernetes documents in {corpus}")
    chosen = []
    copy = 0
    while len(chosen) < documents:
        for doc in docs[: documents - len(chosen)]:
            chosen.append(NAMESPACE.sub(lambda m: f"{m.group(1)}{m.group(2)}-r{copy}", doc))  # noqa: B023
        copy += 1
    per_file = -(-len(chosen) // files)
    written = []
    for i in range(0, len(chosen), per_file):
        path = out / f"manifests-{i // per_file:03d}.yaml"
        path.write_text("".join(f"---\n{doc}\n" for doc in chosen[i : i + per_file]))
        written.append(path)
    return written


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def median_of(repeat: int, command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    times = [timed(command, cwd, env) for _ in range(repeat)]
    return statistics.median(times), min(times)


def import_times(env: dict[str, str]) -> list[tuple[int, str]]:
    """Cumulative import time (microseconds) of the heaviest top-level imports of the CLI."""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import tokenlint.cli, tokenlint.rulekit.registry as r; r.load_rules()",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if not name.startswith("   "):  # top-level and first-level imports only
                rows.append((int(parts[1]), name.strip()))
    return sorted(rows, reverse=True)[:8]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tokenlint-bench-"))
    try:
        repo = work / "repo"
        repo.mkdir()
        files = build_repository(args.corpus, repo, args.documents, args.files)
        size = sum(f.stat().st_size for f in files)
        print(f"repository: {args.documents} documents in {len(files)} files, {size / 1e6:.1f} MB")
        # An installed hook runs from compiled bytecode: never time compiling tokenlint itself.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= {"TOKENLINT_CACHE_DIR": str(work / "cache"), "NO_COLOR": "1"}
        changed = files[len(files) // 2]
        hook = [*TOKENLINT, "lint", "--changed-only", changed.name]

        bare = median_of(args.repeat, [sys.executable, "-c", "pass"], repo, env)
        imports = median_of(args.repeat, [sys.executable, "-c", "import tokenlint.cli"], repo, env)
        no_cache = timed([*TOKENLINT, "lint", "--no-cache", "--changed-only", changed.name], repo, env)
        cold = timed(hook, repo, env)  # empty cache: parses everything and writes every entry
        warm = median_of(args.repeat, hook, repo, env)
        full_warm = median_of(args.repeat, [*TOKENLINT, "lint", "."], repo, env)
        changed_runs = []
        for i in range(args.repeat):
            changed.write_text(changed.read_text() + f"# edit {i}\n")
            changed_runs.append(timed(hook, repo, env))
        entries = [p for p in (work / "cache").rglob("*") if p.is_file()]

        print(f"python start-up             {bare[0]:.3f} s (min {bare[1]:.3f})")
        print(f"import tokenlint.cli        {imports[0]:.3f} s (min {imports[1]:.3f})")
        print(f"no cache, --changed-only    {no_cache:.3f} s")
        print(f"cold cache (writes entries) {cold:.3f} s")
        print(f"warm, nothing changed       {warm[0]:.3f} s (min {warm[1]:.3f})")
        print(f"warm, full report of '.'    {full_warm[0]:.3f} s (min {full_warm[1]:.3f})")
        print(
            f"warm, one file changed      {statistics.median(changed_runs):.3f} s (min {min(changed_runs):.3f})"
            "  <- a pre-commit run"
        )
        print(f"cache: {len(entries)} entries, {sum(p.stat().st_size for p in entries) / 1e6:.1f} MB")
        print("heaviest imports (cumulative, ms):")
        for micros, name in import_times(env):
            print(f"  {micros / 1000:7.1f}  {name}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
