"""Remember what reading a file produced, keyed by its content, so repeated runs skip parsing.

Parsing is nearly all of a cold run (about 5 s for 10,000 documents). A pre-commit run
changes one or two files, so for every other file the engine replays a :class:`FileRecord`:
the counts, the input errors, the findings of the per-resource rules, the suppressions
the file declares and the resources the bundle index keeps, with the credentials found in
them. Cross-file rules still run over the whole bundle every time, which is what keeps a
cached run's answer identical to a cold one. Bodies are stored as the rules saw them,
with secrets already replaced by their fingerprints (:mod:`tokenlint.k8s.credentials`),
so no entry holds a token or a key.

An entry's key is the SHA-256 of the file's path and content plus a salt that covers
everything else the record depends on: the tokenlint version, the Python version, the
default namespace, the rules with their options, and the size and modification time of
every loaded tokenlint and rule module (so that editing a rule in a development checkout
invalidates what it reported).

Entries are written to a temporary file and renamed into place (atomic on POSIX and
Windows), so concurrent runs never see half an entry. Each entry is signed (HMAC-SHA256)
with a secret kept in the folder, readable by its owner only: an entry that is truncated,
damaged or written by someone else fails the check and is never decoded, only parsed
again and rewritten; so is one whose lazily decoded parts fail later (:class:`_Recovery`).
Entries unused for :data:`MAX_AGE_DAYS` days, and the least recently used ones beyond
:data:`MAX_SIZE` bytes, are deleted (:func:`prune`). Entries are pickles, because pickle
rebuilds the dict and list subclasses of a body in C, several times faster than any
Python-level decoding, and each kept body is a pickle of its own, rebuilt only when a rule
first reads it; the unpickler may only create tokenlint's own plain data types
(dataclasses, enums and the two body containers), so an entry can never make it call
anything else, even one written by someone else.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import hmac
import io
import json
import marshal
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenlint import __version__
from tokenlint.engine.suppress import Declared, RunsAs
from tokenlint.model import FieldPath, Finding, InputError, Location, ResourceRef
from tokenlint.resources.resource import FileOrigin, Origin, Resource, Stream
from tokenlint.rulekit.registry import RuleSet
from tokenlint.yaml.reader import YMap, YSeq

ENV_DIR = "TOKENLINT_CACHE_DIR"
FORMAT = 4
"""Bump when the layout of an entry changes."""

_MAGIC = b"TLC2"
_SIGNATURE = 32
_HEADER = len(_MAGIC) + _SIGNATURE
_SECRET = "secret"
_PRUNED = "pruned"
"""A marker whose modification time says when the folder was last pruned."""
PRUNE_INTERVAL = 86400
"""Seconds between two prunings: pruning lists every entry, a run that writes one should not."""
MAX_AGE_DAYS = 30
"""Entries not used for this long are deleted (a use refreshes an entry's modification time)."""
MAX_SIZE = 512 * 1024 * 1024
"""Above this total, the least recently used entries are deleted."""


def default_directory() -> Path:
    """``$TOKENLINT_CACHE_DIR``, else the platform's per-user cache folder + ``tokenlint``.

    Follows the XDG base directory spec on Linux (``$XDG_CACHE_HOME``, ignored unless
    absolute, else ``~/.cache``), ``~/Library/Caches`` on macOS and ``%LOCALAPPDATA%``
    on Windows, as platformdirs does, without the extra dependency.
    """
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "tokenlint"


@dataclass(frozen=True)
class FileRecord:
    """What reading one plain file added to a run."""

    documents: int
    skipped: int
    resources: int
    errors: tuple[InputError, ...]
    findings: tuple[Finding, ...]
    declared: tuple[Declared | RunsAs, ...]
    kept: tuple[Resource, ...]


class FileCache:
    """Records of plain files in ``directory``, valid for one rule configuration."""

    def __init__(self, directory: Path, salt: bytes) -> None:
        self.directory = directory / f"v{FORMAT}"
        self._salt = salt
        self._key: bytes | None = None
        self._pruned = False

    def _secret(self) -> bytes | None:
        """The folder's signing key, created on first use readable by its owner only;
        None when it can be neither read nor created (then nothing is cached)."""
        if self._key is None:
            path = self.directory / _SECRET
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    key = path.read_bytes()
                else:
                    key = os.urandom(32)
                    with os.fdopen(fd, "wb") as out:
                        out.write(key)
            except OSError:
                return None
            if len(key) != 32:  # damaged or being written by a concurrent first run: no cache this run
                return None
            self._key = key
        return self._key

    def _sign(self, key: bytes, payload: bytes) -> bytes:
        return hmac.new(key, payload, hashlib.sha256).digest()

    @classmethod
    def for_run(
        cls, directory: Path, rules: RuleSet, rule_options: Mapping[str, Mapping[str, Any]], namespace: str
    ) -> FileCache:
        """A cache whose keys change whenever the rules, their options or their code change."""
        config = {
            "tokenlint": __version__,
            "python": list(sys.version_info[:2]),
            "namespace": namespace,
            "rules": [[r.meta.id, type(r).__module__, type(r).__qualname__] for r in rules.rules],
            "options": rule_options,
            "code": _code_stamp(rules),
        }
        return cls(directory, json.dumps(config, sort_keys=True, default=repr).encode())

    @staticmethod
    def accepts(stream: Stream) -> bool:
        """Only plain files: rendered charts depend on values and Helm, not on their bytes."""
        return stream.bundle is None and stream.scenario is None and isinstance(stream.origin, FileOrigin)

    def _entry(self, stream: Stream) -> Path:
        digest = hashlib.sha256(self._salt)
        digest.update(stream.origin.path.encode() + b"\0")
        digest.update(stream.data)
        name = digest.hexdigest()
        return self.directory / name[:2] / name[2:]

    def load(self, stream: Stream, reparse: Callable[[], FileRecord]) -> FileRecord | None:
        """The record of ``stream``'s content, or None when absent, stale, damaged or not
        signed with this folder's key (written by someone else: never decoded).

        Kept bodies and positions are decoded later, when a rule first reads them; if one
        fails then, ``reparse`` reads the file again, its record replaces the entry and
        the resource takes its body from it (see :class:`_Recovery`).
        """
        key = self._secret()
        if key is None:
            return None
        entry = self._entry(stream)
        try:
            blob = entry.read_bytes()
        except OSError:
            return None
        payload = blob[_HEADER:]
        signature = blob[len(_MAGIC) : _HEADER]
        if blob[: len(_MAGIC)] != _MAGIC or not hmac.compare_digest(signature, self._sign(key, payload)):
            return None
        recovery = _Recovery(self, stream, reparse)
        try:
            record = _decode_record(_Unpickler(io.BytesIO(payload)).load(), stream.origin, recovery)
        except _DECODE_ERRORS:
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: pruning keeps it
        return record

    def store(self, stream: Stream, record: FileRecord) -> None:
        """Write the record atomically; a cache that cannot be written is silently skipped."""
        try:
            payload = _encode_record(record)
        except (ValueError, RecursionError, pickle.PicklingError):  # e.g. a value pickle cannot hold
            return
        key = self._secret()
        if key is None:
            return
        entry = self._entry(stream)
        blob = _MAGIC + self._sign(key, payload) + payload
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(blob)
                os.replace(temp, entry)
            except BaseException:
                os.unlink(temp)
                raise
        except OSError:
            return
        if not self._pruned:
            self._pruned = True
            _prune_daily(self.directory)


def _prune_daily(directory: Path) -> None:
    """Prune the folder when it was last pruned :data:`PRUNE_INTERVAL` seconds ago or more."""
    marker = directory / _PRUNED
    try:
        if time.time() - marker.stat().st_mtime < PRUNE_INTERVAL:
            return
    except OSError:
        pass  # never pruned
    with contextlib.suppress(OSError):
        marker.touch()
        prune(directory)


def prune(directory: Path, max_age_days: float = MAX_AGE_DAYS, max_size: int = MAX_SIZE) -> int:
    """Delete entries unused for ``max_age_days``, then the least recently used ones until
    the folder holds at most ``max_size`` bytes; returns how many were deleted.

    Runs at most once a day (:data:`PRUNE_INTERVAL`), at the first store of a run, so a
    folder never grows without bound on a developer's machine.
    """
    removed = 0
    entries: list[tuple[float, int, Path]] = []
    for path in directory.glob("??/*"):
        with contextlib.suppress(OSError):
            info = path.stat()
            entries.append((info.st_mtime, info.st_size, path))
    entries.sort()
    limit = time.time() - max_age_days * 86400
    total = sum(size for _, size, _ in entries)
    for mtime, size, path in entries:
        if mtime >= limit and total <= max_size:
            break
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
        total -= size
    return removed


_DECODE_ERRORS = (pickle.UnpicklingError, ValueError, TypeError, EOFError, IndexError, KeyError, AttributeError)
"""What decoding a damaged pickle or marshal payload raises."""


class _Recovery:
    """Reads a file again when a part of its entry decoded late turns out damaged.

    The record is replaced by a fresh one (so the entry is rewritten for the next run) and
    each damaged resource takes its body and positions from the fresh resource at the same
    place. Only the first failure reads the file; later ones reuse that reading.
    """

    def __init__(self, cache: FileCache, stream: Stream, reparse: Callable[[], FileRecord]) -> None:
        self._cache = cache
        self._stream = stream
        self._reparse = reparse
        self._fresh: FileRecord | None = None

    def resource(self, index: int) -> Resource:
        if self._fresh is None:
            self._fresh = self._reparse()
            self._cache.store(self._stream, self._fresh)
        return self._fresh.kept[index]


def _code_stamp(rules: RuleSet) -> list[list[Any]]:
    """Size and mtime of every module of the tokenlint package and of every rule's module.

    Listing the package folders, not ``sys.modules``, keeps the stamp the same whichever
    modules a particular command happened to import.
    """
    package = Path(__file__).parent.parent
    files = {str(f) for f in package.rglob("*.py")}
    for rule in rules.rules:
        module = sys.modules.get(type(rule).__module__)
        if module is not None and getattr(module, "__file__", None):
            files.add(str(module.__file__))
    stamp = []
    for file in sorted(files):
        try:
            info = os.stat(file)
        except OSError:
            continue
        stamp.append([file, info.st_size, info.st_mtime_ns])
    return stamp


# The positioned copy of a body: plain tuples that marshal stores compactly. A mapping is
# (line, column, {key: child}, {key: position}), a sequence (line, column, [children],
# [positions]). It only serves Resource.locate, which looks at keys, positions and
# containers, and at the text of string items (the width of the highlighted range), so
# other scalars are dropped. Shared nodes (YAML aliases) are encoded once and stay shared,
# so an alias bomb costs its size on disk here too.


def _encode_node(node: Any, memo: dict[int, Any], in_sequence: bool = False) -> Any:
    if not isinstance(node, (YMap, YSeq)):
        return node if in_sequence and isinstance(node, str) else None
    done = memo.get(id(node))
    if done is not None:
        return done
    if isinstance(node, YMap):
        items = {sys.intern(k): _encode_node(v, memo) for k, v in node.items()}
        encoded: Any = (node.line, node.column, items, node.keypos)
    else:
        encoded = (node.line, node.column, [_encode_node(v, memo, True) for v in node], node.itempos)
    memo[id(node)] = encoded
    return encoded


def _skeleton(node: Any, path: FieldPath) -> Any:
    """The nodes along ``path`` only, with their positions: all that ``Resource.locate`` reads.

    Each mapping holds its full key positions but only the key the path steps into; each
    sequence keeps its length and positions but only the item the path steps into. A
    resource with a finding is located along one or two paths, so this builds a handful of
    nodes instead of the whole body.
    """
    if type(node) is not tuple:
        return node
    line, column, items, positions = node
    step = path[0] if path else None
    built: YMap | YSeq
    if type(items) is dict:
        built = YMap()
        if isinstance(step, str) and step in items:
            built[step] = _skeleton(items[step], path[1:])
        built.keypos = positions
    else:
        built = YSeq([None] * len(items))
        if isinstance(step, int) and 0 <= step < len(items):
            built[step] = _skeleton(items[step], path[1:])
        built.itempos = positions
    built.line = line
    built.column = column
    return built


class _CachedResource(Resource):
    """A resource replayed from the cache: its body and its positions come back when read.

    Rebuilding a position for every node cost four times more than the rest of a warm
    run, and rules read fields far more often than they report. So the body comes back
    without positions (fast, built by pickle in C), and each location is read from a
    positioned copy kept as marshal bytes, decoding only the nodes along the path.

    The body itself is rebuilt the first time something reads it: a pre-commit run
    judges the workloads of the namespaces its changed files affect, so most kept bodies
    (the bulk of them workloads) are never read at all.
    """

    def __init__(
        self, ref: ResourceRef, pickled: bytes, origin: Origin, positioned: bytes, recovery: tuple[_Recovery, int]
    ) -> None:
        super().__init__(ref, _UNREAD, origin)
        self._pickled: bytes | None = pickled
        self._positioned = positioned
        self._tree: Any = None
        self._recovery = recovery
        self._fresh: Resource | None = None

    @property
    def body(self) -> YMap:
        if self._pickled is not None:
            try:
                body = _Unpickler(io.BytesIO(self._pickled)).load()
                if type(body) is not YMap:
                    raise TypeError("a kept body is not a mapping")
            except _DECODE_ERRORS:
                body = self._recovered().body
            self._body: YMap = body
            self._pickled = None
        return self._body

    @body.setter
    def body(self, value: YMap) -> None:
        self._body = value
        self._pickled = None

    def locate(self, path: FieldPath) -> Location:
        if self._fresh is None:
            try:
                if self._tree is None:
                    self._tree = marshal.loads(self._positioned)
                return Resource(self.ref, _skeleton(self._tree, path), self.origin).locate(path)
            except (*_DECODE_ERRORS, RecursionError):
                self._recovered()
        assert self._fresh is not None
        return self._fresh.locate(path)

    def _recovered(self) -> Resource:
        """The same resource from a fresh reading of its file."""
        if self._fresh is None:
            recovery, index = self._recovery
            self._fresh = recovery.resource(index)
        return self._fresh


_UNREAD = YMap()
"""The body a cached resource holds until its own is read."""

_DATA_MODULES = frozenset({"tokenlint.model", "tokenlint.engine.suppress", "tokenlint.yaml.reader"})


def _is_plain_data(value: Any) -> bool:
    """Types that hold data and run no code of their own when rebuilt."""
    if not isinstance(value, type):
        return False
    return dataclasses.is_dataclass(value) or issubclass(value, (enum.Enum, YMap, YSeq))


class _Unpickler(pickle.Unpickler):
    """May only name tokenlint's plain data types, never a function or a foreign class."""

    def find_class(self, module: str, name: str) -> Any:
        found = getattr(sys.modules.get(module), name, None) if module in _DATA_MODULES else None
        if not _is_plain_data(found):
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")
        return found


def _encode_record(record: FileRecord) -> bytes:
    """Pickle the record; each body a pickle of its own, without positions, which travel
    as marshal bytes beside it."""
    kept = tuple(
        (r.ref, tuple(r.duplicates), marshal.dumps(_encode_node(r.body, {})), _pickle(r.body), r.credentials)
        for r in record.kept
    )
    data = (FORMAT, record.documents, record.skipped, record.resources, record.errors, record.findings)
    return _pickle((*data, record.declared, kept))


def _pickle(value: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = {
        YMap: lambda m: (YMap, (), None, None, iter(m.items())),
        YSeq: lambda s: (YSeq, (), None, iter(s)),
    }
    pickler.dump(value)
    return buffer.getvalue()


def _decode_record(data: tuple[Any, ...], origin: Origin, recovery: _Recovery) -> FileRecord | None:
    version, documents, skipped, resources, errors, findings, declared, kept = data
    if version != FORMAT:
        return None
    resources_kept = []
    for index, (ref, duplicates, positioned, body, credentials) in enumerate(kept):
        if not isinstance(body, bytes) or not isinstance(positioned, bytes):
            raise TypeError("a kept body is not a pickle")
        resource = _CachedResource(ref, body, origin, positioned, (recovery, index))
        resource.duplicates = list(duplicates)
        resource.credentials = credentials
        resources_kept.append(resource)
    return FileRecord(documents, skipped, resources, errors, findings, declared, tuple(resources_kept))
