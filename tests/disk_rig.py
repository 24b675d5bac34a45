"""Real filesystems that fail or fill, for the session directory's tests.

Each scenario is a Python script run as root in a private mount namespace
(``unshare --mount --propagation private``): what it mounts (a loop-mounted
ext4 image, a tmpfs with ``size=``) nobody else sees, and goes when the
namespace does. The script unmounts in a ``finally``; the test detaches any
loop device still bound to its image in its own ``finally``.

``PRELUDE`` (run before each script) gives the script:

- ``mount_ext4(image, mnt, mb, options)``: a fresh ext4 image, loop-mounted;
- ``mount_tmpfs(mnt, size, options)``;
- ``fs_error(mnt)``: a filesystem error on an ext4 mount (with
  ``errors=remount-ro`` the kernel turns it read-only under open files, as a
  failing disk does; ``mount -o remount,ro`` refuses while a file is open for
  writing);
- ``fill(mnt, leave)``: a ballast file filling the mount but ``leave`` bytes;
- ``unmount_all()``.
"""

import os
import pathlib
import shutil
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

PRELUDE = r'''
import os, subprocess, sys, json, time, pathlib
_mounted = []

def _run(*cmd):
    subprocess.run(cmd, check=True, capture_output=True)

def mount_ext4(image, mnt, mb=16, options="errors=remount-ro"):
    with open(image, "wb") as f:
        f.truncate(mb << 20)
    _run("mkfs.ext4", "-q", "-F", "-m", "0", image)
    os.makedirs(mnt, exist_ok=True)
    _run("mount", "-o", "loop," + options, image, mnt)
    _mounted.append(mnt)

def mount_tmpfs(mnt, size, options=""):
    os.makedirs(mnt, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size}" + ("," + options if options else ""), "tmpfs", mnt)
    _mounted.append(mnt)

def fs_error(mnt):
    dev = os.path.basename(os.path.realpath(subprocess.run(
        ["findmnt", "-n", "-o", "SOURCE", mnt], check=True, capture_output=True, text=True).stdout.strip()))
    with open(f"/sys/fs/ext4/{dev}/trigger_fs_error", "w") as f:
        f.write("livemappr test: a failing disk\n")

def fill(mnt, leave=0):
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(mnt, "ballast"), "wb") as f:
        try:
            f.write(b"\0" * max(free - leave, 0))
            f.flush()
            os.fsync(f.fileno())
        except OSError:
            pass

def unmount_all():
    for mnt in reversed(_mounted):
        subprocess.run(["umount", "-l", mnt], capture_output=True)
    _mounted.clear()
'''


def cannot_mount():
    """Why mount tests cannot run here (a reason to skip with), or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "mounting a test filesystem needs root"
    for tool in ("unshare", "mount", "umount", "findmnt", "mkfs.ext4", "losetup"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        return "no private mount namespace here (unshare --mount): " + probe.stderr.decode()[-200:].strip()
    loop = subprocess.run(["losetup", "-f"], capture_output=True, text=True)
    if loop.returncode != 0 or not os.path.exists(loop.stdout.strip() or "/nonexistent"):
        return "no free loop device: " + (loop.stderr.strip() or loop.stdout.strip())
    return None


def cannot_fail_ext4():
    """Why an ext4 error cannot be forced here, or None."""
    reason = cannot_mount()
    if reason:
        return reason
    if not os.path.isdir("/sys/fs/ext4"):
        return "no ext4 in this kernel"
    return None


def env():
    return dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")


def run_private(script, args=(), timeout=180):
    """Run ``PRELUDE + script`` in a private mount namespace; (returncode, stdout, stderr).
    The process group is killed if it runs past ``timeout``."""
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", sys.executable, "-c",
                             PRELUDE + script, *map(str, args)], env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"the scenario ran past {timeout} s: {err[-3000:]}") from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, out, err


def detach_loops(image):
    """Detach any loop device still bound to ``image``."""
    if shutil.which("losetup") is None:
        return
    out = subprocess.run(["losetup", "-j", str(image)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        dev = line.split(":", 1)[0]
        if dev:
            subprocess.run(["losetup", "-d", dev], capture_output=True)
