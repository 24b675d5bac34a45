"""A network namespace of its own, with loopback alone, for anything that multicasts.

Ableton Link announces itself on every network interface: its tests and
benchmark never run on the machine's network. ``unshare --net`` (root, or
CAP_SYS_ADMIN) gives a process a namespace holding only a loopback
interface, brought up with ``ip link set lo up``. A test decorated with
:func:`in_private_netns` runs as it is when the process is already in such a
namespace, and otherwise runs again, alone, in a pytest inside a new one; it
skips (saying why) only where no namespace can be had.
"""

import functools
import os
import pathlib
import shutil
import socket
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def only_loopback():
    """True when this process's network namespace has no interface but ``lo``."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def netns_problem():
    """None where ``unshare --net`` works here, else why it does not (one line)."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux only"
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian {package})"
    r = subprocess.run(["unshare", "--net", "ip", "link", "set", "lo", "up"], capture_output=True, text=True)
    if r.returncode != 0:
        return f"unshare --net failed (it needs root or CAP_SYS_ADMIN): {r.stderr.strip()}"
    return None


def netns_command(argv):
    """``argv`` run inside a new namespace with loopback up."""
    return ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$0" "$@"'] + list(argv)


def _inner_env():
    env = dict(os.environ)
    # tests/conftest.py turned NUMBA_CACHE_DIR into a folder keyed by the
    # source; hand the inner run what the outer one was given, so both use
    # the same compiled kernels.
    cache = pathlib.Path(env.get("NUMBA_CACHE_DIR", ""))
    if cache.parent.name == "livemappr-tests":
        env["NUMBA_CACHE_DIR"] = str(cache.parent.parent)
    else:
        env.pop("NUMBA_CACHE_DIR", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def in_private_netns(test):
    """Run ``test`` (which takes pytest's ``request``) in a namespace with loopback alone."""
    import pytest

    @functools.wraps(test)
    def wrapper(request, *args, **kwargs):
        if only_loopback():
            return test(request, *args, **kwargs)
        problem = netns_problem()
        if problem:
            pytest.skip(f"Ableton Link multicasts: it is tested only in a network namespace of its own; {problem}")
        r = subprocess.run(netns_command([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                          request.node.nodeid]),
                           cwd=ROOT, env=_inner_env(), capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            pytest.fail(f"in its own network namespace, {request.node.nodeid} failed:\n{r.stdout[-6000:]}\n"
                        f"{r.stderr[-2000:]}", pytrace=False)
        if " skipped" in r.stdout.splitlines()[-1]:
            pytest.skip(r.stdout.splitlines()[-1])

    return wrapper
