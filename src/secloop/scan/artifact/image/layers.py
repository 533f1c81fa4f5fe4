"""The merged, read-only file view of an image's layers: an index, never the contents.

Layers are applied bottom to top into a tree of directories whose leaves are record
numbers; a record is a few machine integers in parallel arrays (who wrote the path,
where its bytes are, its size and kind), so a million files cost tens of megabytes,
not a copy of the image. Contents are read later, lazily, from the layer tars.

Tar member names (normalise_name), steps:
(1) a name with a NUL byte, an absolute name or a ``..`` component is never indexed:
    it is reported as skipped (tar path traversal, CVE-2007-4559 and its kin);
(2) a leading ``./`` and empty or ``.`` components are dropped;
(3) names deeper than the depth limit are reported, not indexed.

Whiteouts (OCI image-spec layer.md, "Whiteouts"), steps (apply_whiteout, make_opaque):
(1) ``dir/.wh.name`` removes ``dir/name`` and everything below it, but only what
    lower layers wrote: entries of the same layer stay, whatever their tar order;
(2) ``dir/.wh..wh..opq`` empties ``dir`` of everything lower layers put there;
(3) whiteout files never appear in the view; other ``.wh..wh.`` names (aufs
    bookkeeping) are dropped;
(4) a whiteout naming ``.``, ``..`` or nothing is hostile and reported.

Links, steps:
(1) a hard link names an archive path; it is looked up literally in the view as it
    stands at that point of the layer stack and must be a regular file there; the
    link then shares that file's bytes (its layer and offset);
(2) a symbolic link is resolved with chroot semantics (resolve): an absolute target
    restarts at the image root, ``..`` at the root stays at the root, so no link can
    lead to the host; more than ``max_link_hops`` links is a loop;
(3) nothing is ever read through a symbolic link: the walk reports the link and where
    it leads; its destination is scanned at its own path.

Deleted files: a regular file that a whiteout removes or a later entry replaces is
gone from the view but not from the image (anyone can read the lower layer), so its
record, path and the hiding layer are kept in ``deleted`` for the secrets scan, up to
``max_deleted`` files; the rest are only counted in ``deleted_overflow``.
"""

from __future__ import annotations

import sys
from array import array
from collections import deque
from dataclasses import dataclass
from enum import IntEnum

from secloop.core.location import LayerRef
from secloop.core.result import Skipped, SkipReason
from secloop.scan.artifact.image.interface import ImageLimitError

__all__ = ["Kind", "MergedView", "Resolution", "location_key", "normalise_name"]

_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_AUFS_META = ".wh..wh."
_OFFSET_BITS = 48  # offsets in one decompressed layer up to 256 TiB


class Kind(IntEnum):
    FILE = 0
    SYMLINK = 1
    SPECIAL = 2  # device, fifo, socket, sparse: reported, never read


def location_key(layer: int, offset: int) -> int:
    """One integer for (layer, offset in its decompressed tar): a dict key without tuples."""
    return (layer << _OFFSET_BITS) | offset


def normalise_name(name: str, max_depth: int) -> tuple[str, ...] | str:
    """The components of a member name, or the reason it is refused (steps 1-3)."""
    if "\0" in name:
        return "NUL byte in the name"
    if name.startswith("/"):
        return "absolute path"
    parts = tuple(p for p in name.split("/") if p not in ("", "."))  # (2)
    if ".." in parts:
        return "parent directory traversal (..)"
    if len(parts) > max_depth:
        return f"deeper than {max_depth} directories"
    return parts


class _Dir:
    """A directory: children by name; ``newest`` is the highest layer that wrote at or
    below it, so whiting out an untouched subtree is one dict deletion."""

    __slots__ = ("children", "newest")

    def __init__(self, layer: int) -> None:
        self.children: dict[str, _Dir | int] = {}
        self.newest = layer


@dataclass(frozen=True, slots=True)
class Resolution:
    """Where a path leads: ``path`` (inside the image) and the record or directory,
    or ``missing``/``loop`` set when it leads nowhere."""

    path: str
    record: int | None = None
    is_dir: bool = False
    missing: bool = False
    loop: bool = False


class MergedView:
    """The index of every path in the merged image, built layer by layer."""

    def __init__(
        self,
        layers: tuple[LayerRef, ...],
        *,
        max_entries: int,
        max_hops: int,
        max_deleted: int = 50_000,
    ) -> None:
        self.layers = layers
        self.root = _Dir(-1)
        self._max_entries = max_entries
        self._max_hops = max_hops
        self._max_deleted = max_deleted
        self.deleted: dict[int, tuple[str, int]] = {}  # record -> (path, hiding layer)
        self.deleted_overflow = 0
        self.written_by = array("H")
        self.data_layer = array("H")
        self.data_offset = array("q")
        self.size = array("q")
        self.kind = array("B")
        self.link_target: dict[int, str] = {}
        self.aliases: dict[int, list[str]] = {}  # hard links, by their bytes' location
        self.problems: list[Skipped] = []

    # -- building ---------------------------------------------------------------------

    def _record(self, kind: Kind, written_by: int, layer: int, offset: int, size: int) -> int:
        number = len(self.kind)
        if number >= self._max_entries:
            raise ImageLimitError(f"more than {self._max_entries} entries in the image")
        self.written_by.append(written_by)
        self.data_layer.append(layer)
        self.data_offset.append(offset)
        self.size.append(size)
        self.kind.append(kind)
        return number

    def _parent(self, parts: tuple[str, ...], layer: int) -> _Dir:
        """The directory holding ``parts[-1]``, created as needed; a non-directory in the
        way is replaced (only hand-made tars write through a file or a symlink)."""
        node = self.root
        node.newest = layer
        for depth, name in enumerate(parts[:-1]):
            child = node.children.get(name)
            if not isinstance(child, _Dir):
                if child is not None:
                    self._forget(child, "/".join(parts[: depth + 1]), layer)
                child = _Dir(layer)
                node.children[sys.intern(name)] = child
            child.newest = layer
            node = child
        return node

    def add_dir(self, parts: tuple[str, ...], layer: int) -> None:
        if not parts:
            return
        parent = self._parent(parts, layer)
        existing = parent.children.get(parts[-1])
        if isinstance(existing, _Dir):
            existing.newest = layer
        else:
            self._put(parent, parts, _Dir(layer), layer)

    def add_entry(
        self, parts: tuple[str, ...], kind: Kind, layer: int, offset: int, size: int
    ) -> int | None:
        """A file, symlink or special file written by ``layer``; its bytes at ``offset``."""
        if not parts:
            return None
        number = self._record(kind, layer, layer, offset, size)
        self._put(self._parent(parts, layer), parts, number, layer)
        return number

    def add_symlink(self, parts: tuple[str, ...], target: str, layer: int, offset: int) -> None:
        number = self.add_entry(parts, Kind.SYMLINK, layer, offset, 0)
        if number is not None:
            self.link_target[number] = target

    def add_hardlink(self, parts: tuple[str, ...], target: tuple[str, ...], layer: int) -> str:
        """Step (1) of links; returns "" when linked, else why the link was refused."""
        found = self.lookup(target)
        if not isinstance(found, int) or self.kind[found] != Kind.FILE:
            return f"hard link to {'/'.join(target)}, which is not a regular file in the image"
        data_layer, offset = self.data_layer[found], self.data_offset[found]
        number = self._record(Kind.FILE, layer, data_layer, offset, self.size[found])
        self._put(self._parent(parts, layer), parts, number, layer)
        self.aliases.setdefault(location_key(data_layer, offset), []).append("/".join(parts))
        return ""

    def apply_whiteout(self, parts: tuple[str, ...], layer: int) -> str:
        """Whiteout steps (1), (3), (4); returns "" when applied, else why not."""
        name = parts[-1][len(_WHITEOUT) :]
        if parts[-1] == _OPAQUE:
            self.make_opaque(parts[:-1], layer)
            return ""
        if parts[-1].startswith(_AUFS_META):
            return ""  # (3)
        if name in ("", ".", ".."):
            return f"whiteout names {name!r}"  # (4)
        parent = self.lookup(parts[:-1]) if len(parts) > 1 else self.root
        if not isinstance(parent, _Dir):
            return ""  # nothing below a missing directory to hide
        child = parent.children.get(name)
        path = "/".join((*parts[:-1], name))
        if isinstance(child, int) and self.written_by[child] < layer:
            self._forget(parent.children.pop(name), path, layer)
        elif isinstance(child, _Dir):
            if child.newest < layer:
                self._forget(parent.children.pop(name), path, layer)
            else:
                self._prune_lower(child, path, layer)
        return ""

    def make_opaque(self, parts: tuple[str, ...], layer: int) -> None:
        """Whiteout step (2)."""
        self.add_dir(parts, layer)
        node = self.lookup(parts) if parts else self.root
        if isinstance(node, _Dir):
            self._prune_lower(node, "/".join(parts), layer)

    def _prune_lower(self, directory: _Dir, path: str, layer: int) -> None:
        """Drop what layers below ``layer`` wrote under ``directory``; keep ``layer``'s own."""
        stack = [(directory, path)]
        while stack:
            node, prefix = stack.pop()
            for name, child in list(node.children.items()):
                child_path = f"{prefix}/{name}" if prefix else name
                if isinstance(child, int):
                    if self.written_by[child] < layer:
                        self._forget(node.children.pop(name), child_path, layer)
                elif child.newest < layer:
                    self._forget(node.children.pop(name), child_path, layer)
                else:
                    stack.append((child, child_path))

    def _put(self, parent: _Dir, parts: tuple[str, ...], node: _Dir | int, layer: int) -> None:
        """Place ``node`` at ``parts``, remembering what it replaces as deleted."""
        name = sys.intern(parts[-1])
        replaced = parent.children.get(name)
        parent.children[name] = node
        if replaced is not None and replaced is not node:
            self._forget(replaced, "/".join(parts), layer)

    def _forget(self, node: _Dir | int, path: str, layer: int) -> None:
        """Remember the regular files under ``node`` (removed from the view by ``layer``)
        as deleted. Hard links share their target's bytes, remembered with it; each
        record is removed once, so the walk costs at most the image's entry count."""
        stack: list[tuple[_Dir | int, str]] = [(node, path)]
        while stack:
            current, where = stack.pop()
            if isinstance(current, _Dir):
                stack.extend((c, f"{where}/{n}") for n, c in current.children.items())
                continue
            if self.kind[current] != Kind.FILE or self.size[current] == 0:
                continue
            if self.data_layer[current] != self.written_by[current]:
                continue  # a hard link: the bytes belong to its target
            if len(self.deleted) < self._max_deleted:
                self.deleted[current] = (where, layer)
            else:
                self.deleted_overflow += 1

    def report(self, path: str, reason: SkipReason, detail: str) -> None:
        if len(self.problems) < self._max_entries:
            self.problems.append(Skipped(path=path, reason=reason, detail=detail))

    # -- reading ----------------------------------------------------------------------

    def lookup(self, parts: tuple[str, ...]) -> _Dir | int | None:
        """The node at exactly ``parts``, links not followed."""
        node: _Dir | int = self.root
        for name in parts:
            if not isinstance(node, _Dir):
                return None
            found = node.children.get(name)
            if found is None:
                return None
            node = found
        return node

    def resolve(self, path: str, *, follow_last: bool = True) -> Resolution:
        """Link steps (2): where ``path`` leads inside the image, following symlinks."""
        pending = deque(path.split("/"))
        names: list[str] = []
        dirs: list[_Dir] = [self.root]
        hops = 0
        while pending:
            name = pending.popleft()
            if name in ("", "."):
                continue
            if name == "..":
                if names:  # at the root, ".." stays at the root
                    names.pop()
                    dirs.pop()
                continue
            node = dirs[-1].children.get(name)
            if node is None:
                return Resolution(path="/".join([*names, name, *pending]), missing=True)
            if isinstance(node, _Dir):
                names.append(name)
                dirs.append(node)
                continue
            if self.kind[node] == Kind.SYMLINK and (pending or follow_last):
                hops += 1
                if hops > self._max_hops:
                    return Resolution(path=path, loop=True)
                target = self.link_target[node]
                if target.startswith("/"):
                    names, dirs = [], [self.root]
                pending.extendleft(reversed(target.split("/")))
                continue
            if pending:
                return Resolution(path="/".join([*names, name, *pending]), missing=True)
            return Resolution(path="/".join([*names, name]), record=node)
        return Resolution(path="/".join(names), is_dir=True)

    def record_at(self, path: str) -> int | None:
        found = self.lookup(tuple(p for p in path.split("/") if p))
        return found if isinstance(found, int) else None

    def entry_count(self) -> int:
        return len(self.kind)
