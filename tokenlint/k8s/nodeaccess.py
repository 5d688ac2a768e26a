"""What a pod can take from the node it runs on: other pods' tokens and the node's credentials.

The kubelet keeps the service account token of every pod of a node under
``/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~projected/``, and its own
credentials under ``/var/lib/kubelet`` and ``/etc/kubernetes``. A pod reaches them three
ways, each decided from its spec alone:

- a ``hostPath`` volume that is, contains or lies inside one of those folders (reading is
  enough, so a read-only mount counts);
- a container runtime socket, or a folder holding one: through it the pod can exec into
  every container of the node (a read-only mount of a socket still connects);
- a container that can leave its namespaces: ``privileged``, ``hostPID`` with
  ``privileged``, ``SYS_PTRACE`` or ``SYS_ADMIN``, the ``SYS_MODULE`` capability (or
  ``ALL``), and a writable ``hostPath`` of ``/var/log`` (the kubelet follows symbolic
  links there when it serves logs, so a pod that plants one reads any file of the node).

Not theft: a read-only ``/var/log`` (log collectors), ``/proc`` and ``/sys`` (metrics
agents; reading another process's files through ``/proc`` needs ``SYS_PTRACE``, which the
``hostPID`` clause covers), and the kubelet's registration folders that hold only sockets
for plugins (``device-plugins``, ``plugins_registry``, ``pod-resources``, ``plugins``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tokenlint.k8s.workloads import CONTAINER_LISTS, Workload
from tokenlint.model import FieldPath

ALL_TOKENS = "every service account token of the pods on its node"
KUBELET = f"{ALL_TOKENS} and the kubelet's credentials"
ESCAPED = f"{ALL_TOKENS}, the kubelet's credentials and the node itself"

CREDENTIAL_FOLDERS = {
    "/var/lib/kubelet": f"{ALL_TOKENS} (under /var/lib/kubelet/pods) and the kubelet's credentials",
    "/etc/kubernetes": "the kubelet's kubeconfig and, on control-plane nodes, the admin and controller kubeconfigs",
    "/var/run/secrets": "the service account credentials kept on the node",
}
"""Folders whose files are credentials, with what reading them gives."""

KUBELET_SOCKET_FOLDERS = frozenset({"device-plugins", "plugins_registry", "pod-resources", "plugins"})
"""Sub-folders of /var/lib/kubelet that hold registration sockets, not tokens or keys."""

RUNTIME_SOCKETS = (
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/var/run/crio/crio.sock",
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/cri-dockerd.sock",
    "/var/run/cri-dockerd.sock",
)
"""The sockets of containerd, CRI-O, Docker and cri-dockerd, at their usual places."""

LOG_FOLDER = "/var/log"
ESCAPE_CAPABILITIES = frozenset({"SYS_MODULE", "ALL"})
"""Capabilities that leave the container on their own (a kernel module runs as the kernel)."""
HOST_PID_CAPABILITIES = frozenset({"SYS_PTRACE", "SYS_ADMIN"})
"""Capabilities that, with the node's process namespace, reach other containers' files."""


@dataclass(frozen=True)
class NodeAccess:
    """One way a workload's pods reach what belongs to their node.

    ``gives`` says what can be read ("every service account token of the pods on its
    node ..."), ``through`` the offending setting, ``path`` where that setting is.
    ``non_root`` is set when every container that uses the mount runs as a user other
    than root without capabilities that bypass file permissions: the kubelet's folders,
    its kubeconfigs and the runtime sockets belong to root, so the mount alone does not
    open them (unless the node loosens their modes).
    """

    gives: str
    through: str
    path: FieldPath
    non_root: bool = False

    @property
    def steals_tokens(self) -> bool:
        """Whether other pods' service account tokens are among what it gives."""
        return ALL_TOKENS in self.gives


def node_access(workload: Workload) -> list[NodeAccess]:
    """Every way the workload's pods reach their node's tokens or credentials, in spec order."""
    return [*_host_paths(workload), *_escapes(workload)]


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _host_path_access(path: str, writable: bool) -> tuple[str, str] | None:
    """What a mount of host ``path`` gives, and a note on why; None when it gives nothing."""
    if path == "/":
        return ESCAPED, " (the node's root filesystem)"
    for folder, gives in CREDENTIAL_FOLDERS.items():
        if _inside(folder, path):  # the folder itself, or one that contains it
            return gives, "" if path == folder else f", which holds {folder}"
        if _inside(path, folder):
            below = path[len(folder) + 1 :].split("/", 1)[0]
            if folder == "/var/lib/kubelet" and below in KUBELET_SOCKET_FOLDERS:
                continue
            return gives, ""
    for socket in RUNTIME_SOCKETS:
        if _inside(socket, path):
            what = "the container runtime socket" if path == socket else f"a folder holding the runtime socket {socket}"
            return f"{ALL_TOKENS} by exec into any of its containers", f" ({what})"
    if writable and _inside(path, LOG_FOLDER):
        return KUBELET, " writable (the kubelet follows symbolic links there when it serves logs)"
    return None


ROOT_CAPABILITIES = frozenset({"DAC_OVERRIDE", "DAC_READ_SEARCH", "ALL"})
"""Capabilities that read any file whatever its owner and mode."""


@dataclass
class _Mount:
    writable: bool = False
    by_root: bool = False


def _runs_as_root(spec: dict[str, Any], container: dict[str, Any]) -> bool:
    """Whether the container may run as root or read past file permissions (the container's
    ``securityContext`` wins over the pod's; an unknown image user counts as root)."""
    pod = spec.get("securityContext")
    own = container.get("securityContext")
    pod = pod if isinstance(pod, dict) else {}
    own = own if isinstance(own, dict) else {}
    user = own.get("runAsUser", pod.get("runAsUser"))
    non_root = own.get("runAsNonRoot", pod.get("runAsNonRoot"))
    if any(capability in ROOT_CAPABILITIES for _, capability in _capabilities(container)):
        return True
    if isinstance(user, int) and not isinstance(user, bool):
        return user == 0
    return non_root is not True


def _mounts(spec: dict[str, Any]) -> dict[str, _Mount]:
    """Each mounted volume's name, whether some container mounts it writable, and whether
    some container that mounts it may run as root."""
    found: dict[str, _Mount] = {}
    for key in CONTAINER_LISTS:
        containers = spec.get(key)
        for container in containers if isinstance(containers, list) else ():
            mounts = container.get("volumeMounts") if isinstance(container, dict) else None
            for mount in mounts if isinstance(mounts, list) else ():
                name = mount.get("name") if isinstance(mount, dict) else None
                if isinstance(name, str):
                    state = found.setdefault(name, _Mount())
                    state.writable = state.writable or mount.get("readOnly") is not True
                    state.by_root = state.by_root or _runs_as_root(spec, container)
    return found


def _host_paths(workload: Workload) -> Iterator[NodeAccess]:
    spec = workload.spec
    volumes = spec.get("volumes")
    mounted = _mounts(spec)
    for index, volume in enumerate(volumes if isinstance(volumes, list) else ()):
        host = volume.get("hostPath") if isinstance(volume, dict) else None
        raw = host.get("path") if isinstance(host, dict) else None
        name = volume.get("name")
        if not isinstance(raw, str) or not raw.startswith("/") or name not in mounted:
            continue
        path = posixpath.normpath(raw).replace("//", "/")
        mount = mounted[name]
        found = _host_path_access(path, mount.writable)
        if found is not None:
            gives, note = found
            where = workload.path("volumes", index, "hostPath", "path")
            yield NodeAccess(gives, f"volume {name} mounts hostPath {path}{note}", where, not mount.by_root)


def _capabilities(container: dict[str, Any]) -> list[tuple[int, str]]:
    """The added capabilities, as the kernel names them without ``CAP_``, with their index."""
    context = container.get("securityContext")
    capabilities = context.get("capabilities") if isinstance(context, dict) else None
    added = capabilities.get("add") if isinstance(capabilities, dict) else None
    return [
        (i, str(name).upper().removeprefix("CAP_"))
        for i, name in enumerate(added if isinstance(added, list) else ())
        if isinstance(name, str)
    ]


def _escapes(workload: Workload) -> Iterator[NodeAccess]:
    spec = workload.spec
    host_pid = spec.get("hostPID") is True
    pid_helpers: list[str] = []
    for key in CONTAINER_LISTS:
        containers = spec.get(key)
        for index, container in enumerate(containers if isinstance(containers, list) else ()):
            if not isinstance(container, dict):
                continue
            name = container.get("name", index)
            context = container.get("securityContext")
            where = workload.path(key, index, "securityContext")
            if isinstance(context, dict) and context.get("privileged") is True:
                # Privileged already leaves the container; with hostPID it needs no second finding.
                yield NodeAccess(ESCAPED, f"container {name} runs privileged", (*where, "privileged"))
                continue
            for position, capability in _capabilities(container):
                if capability in ESCAPE_CAPABILITIES:
                    through = f"container {name} adds the capability {capability}"
                    yield NodeAccess(ESCAPED, through, (*where, "capabilities", "add", position))
                if capability in HOST_PID_CAPABILITIES:
                    pid_helpers.append(f"container {name} adds {capability}")
    if host_pid and pid_helpers:
        reason = "; ".join(pid_helpers)
        yield NodeAccess(ESCAPED, f"hostPID with {reason}", workload.path("hostPID"))
