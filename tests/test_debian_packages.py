"""Every Debian package the code, the tests and the benchmarks use is one the Makefile installs.

A fresh machine has only its base image and what ``make`` installs; a file or
program installed by hand once (hydrogen-data's two drum kits, issue 14) keeps
CI green on that machine and fails everywhere else. So:

1. Scan livemappr/, tests/ and benchmarks/ (the AST of every ``.py``, the
   ``#include <...>`` of the C peers) for what they use from the system:
   absolute paths in string constants (``/usr/share/hydrogen/...``,
   ``/usr/bin/chromium``), programs run through ``subprocess`` or looked up
   with ``shutil.which``, headers (found under /usr/include and gcc's own). ``USED_BY_LIBRARIES`` lists the few things
   no scan of our source can see (shared libraries our Python dependencies
   load); the drum kits the tests name come from ``tests/drumkits.KITS``.
2. Ask ``dpkg -S`` which Debian package owns each.
3. That package must be in the Makefile's lists for the role of the file that
   uses it (livemappr/: RUNTIME_APT, what ``make demo`` installs; tests/: also
   TEST_APT, ``make test``; benchmarks/: also BENCH_APT_PACKAGES, ``make
   bench``), or a dependency of one of them, or part of a bare Debian or
   Raspberry Pi OS image: the packages of Priority required or important
   (and Essential ones) with their dependencies.

Benchmark packages are not installed by ``make test``, so a program or header
that only a benchmark uses may be missing here; ``NOT_INSTALLED_BY_MAKE_TEST``
names the package that brings it, and where that package is installed
``dpkg -S`` must agree (the owner is it or one of its dependencies).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.drumkits import KITS, KITS_DIR

ROOT = Path(__file__).resolve().parent.parent
ROLES = {"livemappr": "runtime", "tests": "test", "benchmarks": "bench"}
# Which Makefile lists each role may count on.
LISTS = {
    "runtime": ("RUNTIME_APT",),
    "test": ("RUNTIME_APT", "TEST_APT"),
    "bench": ("RUNTIME_APT", "TEST_APT", "BENCH_APT_PACKAGES"),
}

# What a scan of our source cannot see: shared libraries that our Python
# dependencies open (ctypes/cffi dlopen, or a wheel's extension linked against
# a system library), by the role that needs them.
USED_BY_LIBRARIES = {
    "libportaudio.so.2": "runtime",  # sounddevice: PortAudio is not in its Linux wheel
    "libasound.so.2": "runtime",     # python-rtmidi's wheel links ALSA
    "libjack.so.0": "test",          # JACK-Client (tests' JACK clients); PortAudio's JACK host API
}

# What brings the things only `make bench` installs, for a machine that ran
# only `make test`: there dpkg -S cannot answer for them.
# The quick start is typed as `make ...`: whoever runs it has make, so a test
# that calls make needs nothing the Makefile could install (it cannot install
# its own runner). The README says how to get make on an image without it.
RUNS_THE_MAKEFILE = {"make"}

NOT_INSTALLED_BY_MAKE_TEST = {
    "cyclictest": "rt-tests",
    "jack/jack.h": "libjack-jackd2-dev",
    "stdatomic.h": "gcc",  # gcc's own header (libgcc-N-dev, a dependency of gcc)
    "stdio.h": "libc6-dev",
    "stdlib.h": "libc6-dev",
    "time.h": "libc6-dev",
    "unistd.h": "libc6-dev",
}
# This file's own strings are examples, not uses.
SELF = Path(__file__).resolve()

_SYSTEM_PATH = re.compile(r"^/(usr|bin|sbin|lib|lib64|etc|opt)/[^\s:;,]*$")
_RUNNERS = {"Popen", "run", "call", "check_call", "check_output"}

pytestmark = pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian system")


@dataclass(frozen=True)
class Use:
    what: str  # an absolute path, a program, a library file or a header name
    kind: str  # "path", "program", "library", "header"
    role: str  # "runtime", "test", "bench"
    where: str  # file:line that uses it


# ---------------------------------------------------------------- the scan

def _constants(tree):
    """Module-level NAME = "string" assignments."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node.value.value
    return out


def _string(node, consts):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return consts.get(node.id)
    return None


def _first_word(node, consts):
    """The program of a subprocess call's argument list (``[...] + [...]`` too)."""
    while isinstance(node, ast.BinOp):
        node = node.left
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        return _string(node.elts[0], consts)
    return None


def scan_python(path: Path, role: str) -> list[Use]:
    tree = ast.parse(path.read_text(), str(path))
    consts = _constants(tree)
    rel = path.relative_to(ROOT)
    uses = []
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SYSTEM_PATH.match(node.value):
            uses.append(Use(node.value, "path", role, where))
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if not node.args:
                continue
            if name == "which":
                prog = _string(node.args[0], consts)
            elif name in _RUNNERS:
                prog = _first_word(node.args[0], consts)
            else:
                continue
            if prog and not prog.startswith("/"):  # an absolute one is a path constant already
                uses.append(Use(prog, "program", role, where))
    return uses


def scan_c(path: Path, role: str) -> list[Use]:
    rel = path.relative_to(ROOT)
    return [Use(m.group(1), "header", role, f"{rel}:{n}")
            for n, line in enumerate(path.read_text().splitlines(), 1)
            if (m := re.match(r"\s*#\s*include\s*<([^>]+)>", line))]


def scan() -> list[Use]:
    uses = []
    for top, role in ROLES.items():
        for p in sorted((ROOT / top).rglob("*.py")):
            if p != SELF:
                uses += scan_python(p, role)
        for p in sorted((ROOT / top).rglob("*.c")):
            uses += scan_c(p, role)
    uses += [Use(lib, "library", role, "USED_BY_LIBRARIES") for lib, role in USED_BY_LIBRARIES.items()]
    uses += [Use(str(KITS_DIR / kit / "drumkit.xml"), "path", "test", "tests/drumkits.py KITS") for kit in KITS]
    return uses


# ---------------------------------------------------------------- dpkg

def _dpkg_owners(path: str) -> set[str]:
    out = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True)
    owners = set()
    for line in out.stdout.splitlines():
        if line.startswith("diversion "):
            continue
        pkgs, _, owned = line.rpartition(": ")
        if owned != path:  # -S takes a pattern; keep exact matches only
            continue
        owners |= {p.strip().split(":")[0] for p in pkgs.split(",")}
    return owners


def _candidates(path: str) -> list[str]:
    """The path, what it points to, and its twin across merged /usr."""
    out = [path]
    if os.path.exists(path):
        out.append(os.path.realpath(path))
    for p in list(out):
        out.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    return list(dict.fromkeys(out))


def _library_paths(name: str) -> list[str]:
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    return [line.rsplit(" => ", 1)[1].strip() for line in out.splitlines()
            if line.strip().startswith(name + " ") and " => " in line]


def owners_of(use: Use) -> tuple[set[str], str]:
    """(packages owning what ``use`` names, the file asked about)."""
    if use.kind == "program":
        found = shutil.which(use.what)
        paths = [found] if found else []
    elif use.kind == "library":
        paths = _library_paths(use.what)
    elif use.kind == "header":
        paths = [str(p) for d in ("/usr/include", "/usr/include/*-linux-gnu*", "/usr/lib/gcc/*/*/include")
                 for p in sorted(Path("/").glob(d.lstrip("/") + "/" + use.what))]
    else:
        paths = [use.what]
    for p in paths:
        for c in _candidates(p):
            owners = _dpkg_owners(c)
            if owners:
                return owners, c
    return set(), paths[0] if paths else use.what


@dataclass
class Installed:
    priority: dict[str, str]
    essential: set[str]
    depends: dict[str, list[list[str]]]  # package -> clauses of alternatives
    provided_by: dict[str, set[str]]


def installed() -> Installed:
    fmt = "${Package}\t${Status}\t${Priority}\t${Essential}\t${Provides}\t${Pre-Depends}, ${Depends}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], capture_output=True, text=True, check=True).stdout
    inst = Installed({}, set(), {}, {})
    for line in out.splitlines():
        pkg, status, prio, essential, provides, deps = line.split("\t")
        if not status.endswith(" installed"):
            continue
        inst.priority[pkg] = prio
        if essential == "yes":
            inst.essential.add(pkg)
        for prov in filter(None, (p.strip().split(" ")[0] for p in provides.split(","))):
            inst.provided_by.setdefault(prov, set()).add(pkg)
        clauses = []
        for clause in filter(None, (c.strip() for c in deps.split(","))):
            clauses.append([alt.strip().split(" ")[0].split(":")[0] for alt in clause.split("|")])
        inst.depends[pkg] = clauses
    return inst


def closure(roots, inst: Installed) -> set[str]:
    """``roots`` and everything installed that they depend on (any installed alternative)."""
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for clause in inst.depends.get(p, ()):
            for alt in clause:
                for real in {alt} | inst.provided_by.get(alt, set()):
                    if real in inst.priority and real not in seen:
                        todo.append(real)
    return seen


def bare_image(inst: Installed) -> set[str]:
    """What a bare Debian or Raspberry Pi OS image has: Priority required and
    important, the Essential packages, and their dependencies."""
    return closure({p for p, prio in inst.priority.items() if prio in ("required", "important")}
                   | inst.essential, inst)


# ---------------------------------------------------------------- the Makefile

def makefile_lists(text: str) -> dict[str, list[str]]:
    text = text.replace("\\\n", " ")
    lists = {}
    for name in ("RUNTIME_APT", "TEST_APT", "BENCH_APT_PACKAGES"):
        m = re.search(rf"^{name}\s*:?=(.*)$", text, re.M)
        assert m, f"Makefile has no {name}"
        lists[name] = m.group(1).split("#")[0].split()
    return lists


def check(makefile_text: str, uses: list[Use], inst: Installed, bare: set[str]) -> list[str]:
    """Problems: each used thing whose package the Makefile does not install."""
    lists = makefile_lists(makefile_text)
    allowed = {}
    for role, names in LISTS.items():
        listed = {p for n in names for p in lists[n]}
        given = closure(RUNS_THE_MAKEFILE & set(inst.priority), inst) | RUNS_THE_MAKEFILE
        allowed[role] = (listed, closure(listed & set(inst.priority), inst) | listed | bare | given)
    problems = []
    for use in uses:
        owners, asked = OWNERS[use]
        listed, ok = allowed[use.role]
        if not owners:
            fallback = NOT_INSTALLED_BY_MAKE_TEST.get(use.what)
            if fallback is None:
                problems.append(f"{use.what} ({use.where}): no Debian package owns {asked}; "
                                "is it installed? (dpkg -S finds nothing)")
                continue
            owners = {fallback}
        if not owners & ok:
            wanted = "/".join(LISTS[use.role])
            problems.append(f"{use.what} ({use.where}): package {', '.join(sorted(owners))} "
                            f"is in none of {wanted} nor their dependencies nor a bare image")
    return problems


# ---------------------------------------------------------------- the tests

USES = scan()
OWNERS: dict[Use, tuple[set[str], str]] = {}


@pytest.fixture(scope="module")
def system():
    for use in USES:
        if use not in OWNERS:
            OWNERS[use] = owners_of(use)
    inst = installed()
    return inst, bare_image(inst)


def test_the_scan_finds_what_we_know_we_use():
    programs = {u.what for u in USES if u.kind == "program"}
    paths = {u.what for u in USES if u.kind == "path"}
    assert {"jackd", "jack_wait", "oscsend", "oscdump", "pd", "luac5.1", "jack_midiseq",
            "cyclictest", "gcc", "fluidsynth", "espeak-ng"} <= programs
    assert "/usr/bin/chromium" in paths
    assert "jack/jack.h" in {u.what for u in USES if u.kind == "header"}
    assert any(p.startswith("/usr/share/hydrogen/data/drumkits/") for p in paths)
    assert {"TimGM6mb.sf2", "sf_GMbank.sf2", "OPL-3_FM_128M.sf2"} <= {
        os.path.basename(p) for p in paths if p.startswith("/usr/share/sounds/sf2/")}


def test_every_debian_package_used_is_installed_by_the_makefile(system):
    inst, bare = system
    problems = check((ROOT / "Makefile").read_text(), USES, inst, bare)
    assert not problems, "add these packages to the Makefile:\n" + "\n".join(problems)


def test_the_fallback_owners_agree_with_dpkg_where_installed(system):
    inst, _ = system
    for what, package in NOT_INSTALLED_BY_MAKE_TEST.items():
        use = next(u for u in USES if u.what == what)
        owners, _ = OWNERS[use]
        if owners and package in inst.priority:
            assert owners & closure({package}, inst), f"{what} is owned by {owners}, not brought by {package}"


def test_taking_a_package_out_of_the_makefile_fails_the_check(system):
    inst, bare = system
    text = (ROOT / "Makefile").read_text()
    lists = makefile_lists(text)
    assert not check(text, USES, inst, bare)
    # Every listed package that owns something used directly, taken out alone.
    direct = set()
    for use in USES:
        owners = OWNERS[use][0] or {NOT_INSTALLED_BY_MAKE_TEST.get(use.what)}
        direct |= owners & {p for names in lists.values() for p in names}
    assert {"hydrogen-data", "hydrogen-drumkits", "liblo-tools", "puredata-core", "chromium",
            "lua5.1", "libportaudio2", "rt-tests", "gcc", "libjack-jackd2-dev", "fluidsynth",
            "timgm6mb-soundfont", "csound-soundfont", "opl3-soundfont", "espeak-ng"} <= direct
    for package in sorted(direct):
        cut = text
        for name, packages in lists.items():
            line = re.search(rf"^{name}\s*:?=.*$", cut, re.M).group(0)
            cut = cut.replace(line, re.sub(rf"(?<=\s){re.escape(package)}(?=\s|$)", "", line))
        others = {p for names in makefile_lists(cut).values() for p in names}
        if package in closure(others & set(inst.priority), inst) | bare:
            continue  # another listed package brings it: the list names it for clarity only
        problems = check(cut, USES, inst, bare)
        assert any(package in p for p in problems), f"removing {package} went unnoticed"
