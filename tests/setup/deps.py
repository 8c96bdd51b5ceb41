#!/usr/bin/python3
"""Everything the demo, the tests and the benchmarks load comes from a
Debian package that scripts/setup.sh installs (scripts/lib/deps.sh's
DEPS_PKGS), or from an Essential package, on any machine: also on one
where the packages happen to be installed already. Prints TAP.

    /usr/bin/python3 tests/setup/deps.py SRCDIR BUILDDIR

What is checked, each found the way the scripts use it:
- programs: every word of the shell scripts (scripts/, tests/, bench/,
  .ci/; comments left out) and of the Python helpers' string literals
  that names a program on PATH, and absolute program paths in them
  (/usr/lib/ipsec/charon, /usr/bin/python3);
- strongSwan plugins: SW_PLUGINS of scripts/lib/strongswan.sh and what
  the suites add to it;
- Python modules: every module imported by the helpers (.py files and
  the Python in the shell scripts), from /usr/bin/python3;
- shared objects: the NEEDED entries of every ELF file the build made
  (app/, tests/, bench/), as the dynamic linker resolves them;
- DPDK drivers: every vdev the scripts and sources name, plus the vdev
  bus and the ring mempool that each of them needs.
The owner is what `dpkg -S` says of the file (or of its target, or its
/usr-merged twin). Each owner must be named by DEPS_PKGS or be Essential;
a missing one fails with its name. scripts/lib/deps.sh's DEPS_FROM (the
package deps_need names when something is missing) is checked too.
"""
import ast
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

SRC, BUILD = sys.argv[1], sys.argv[2]
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SW_PLUGIN_DIR = "/usr/lib/ipsec/plugins"
SCAN_DIRS = ["scripts", "tests", "bench", ".ci"]

points = []


def point(ok, text):
    points.append((ok, text))


def bash(script):
    out = subprocess.run(["bash", "-c", f"source {shlex.quote(SRC)}/scripts/lib/deps.sh; {script}"],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, DEPS_CHECK="0"))
    return out.stdout


def files(exts, names=()):
    for d in SCAN_DIRS:
        for root, dirs, fs in os.walk(os.path.join(SRC, d)):
            dirs[:] = [x for x in dirs if x not in ("corpus", "crashes", "__pycache__")]
            for f in fs:
                if f.endswith(exts) or f in names:
                    yield os.path.join(root, f)


def strip_shell_comment(line):
    # A '#' at the start of a word begins a comment ($#, ${#x}, "#" aside).
    m = re.search(r'(^|\s)#(?![!{])', line)
    if m and line.count('"', 0, m.start()) % 2 == 0 and line.count("'", 0, m.start()) % 2 == 0:
        return line[:m.start()]
    return line


WRAPPERS = {"exec": 0, "timeout": 1, "nsx": 1, "command": 0, "env": 0, "nice": 0,
            "setsid": 0, "stdbuf": 0, "unshare": 0, "sudo": 0, "then": 0, "do": 0,
            "else": 0, "elif": 0, "if": 0, "while": 0, "until": 0, "!": 0, "time": 0,
            "wait_for": 0, "show": 0, "run": 1, "bg_run": 2}
SEGMENT = re.compile(r"&&|\|\||[;|&(){}`]|\$\(")
# Words in command position that are data, not programs: the certificate
# kinds of tests/e2e/ike_interop2.sh's table ("ed 14 p256 ed25519").
NOT_COMMANDS = {"ed"}


def command_words(line):
    """The words of a shell line in command position: the first of each
    segment, past assignments, redirections, options of wrappers and the
    wrappers themselves (timeout 5, nsx NS, ip netns exec NS, unshare -m)."""
    out = []
    for seg in SEGMENT.split(line.replace("'", " ").replace('"', " ")):
        words = seg.split()
        while words:
            w = words[0]
            if re.match(r"^\w+=", w) or w.startswith(("-", "<", ">", "2>", "&>")) or w.isdigit():
                words.pop(0)
            elif w in WRAPPERS:
                words = words[1 + WRAPPERS[w]:]
            elif w == "ip" and words[1:3] == ["netns", "exec"]:
                words = words[4:]
            elif w in ("sh", "bash") and words[1:2] == ["-c"]:
                words = words[2:]
            else:
                break
        if words:
            out.append(words[0].strip('"'))
    return out


def shell_words():
    words, paths, functions = set(), set(), set()
    for f in files((".sh",), ("run",)):
        heredoc = None
        with open(f, errors="replace") as fh:
            for line in fh:
                if heredoc:
                    if line.strip() == heredoc:
                        heredoc = None
                    continue
                m = re.search(r"<<-?\s*'?\"?(\w+)'?\"?", line)
                if m:
                    heredoc = m.group(1)
                line = strip_shell_comment(line)
                functions.update(re.findall(r"^\s*(\w+)\(\)\s*\{", line))
                words.update(w for w in command_words(line) if re.match(r"^[A-Za-z][\w.+-]*$", w))
                paths.update(p for p in re.findall(r"(?<![\w.])/usr/(?:s?bin|lib/ipsec)/[\w.+-]+", line)
                             if not os.path.isdir(p))
    return words - functions - NOT_COMMANDS, paths


def python_sources():
    """(name, source) of each .py file and each Python heredoc or -c in a script."""
    for f in files((".py",)):
        with open(f, errors="replace") as fh:
            yield f, fh.read()
    for f in files((".sh",)):
        with open(f, errors="replace") as fh:
            text = fh.read()
        for m in re.finditer(r"python3\S* (?:-[^c]\S* )*- [^\n]*<<-?'?PY'?\n(.*?)\n\s*PY\n", text, re.S):
            yield f + ":heredoc", m.group(1)
        for m in re.finditer(r"python3\S* -c '([^']*)'", text):
            yield f + ":-c", m.group(1)


def python_imports_and_strings():
    mods, words = set(), set()
    for name, src in python_sources():
        try:
            tree = ast.parse(src)
        except SyntaxError:
            point(False, f"python source {name} parses")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                mods.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                mods.add(node.module.split(".")[0])
        for node in ast.walk(tree):  # subprocess.run(["ip", ...]) and the like
            if isinstance(node, ast.Call) and node.args and getattr(node.func, "attr", "") in (
                    "run", "call", "check_call", "check_output", "Popen", "system"):
                a = node.args[0]
                if isinstance(a, (ast.List, ast.Tuple)) and a.elts:
                    a = a.elts[0]
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.split():
                    words.add(a.value.split()[0])
    local = {os.path.splitext(os.path.basename(f))[0] for f in files((".py",))}
    return mods - local, words


def which(word):
    for d in PATH.split(":"):
        p = os.path.join(d, word)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


_owner_cache = {}


def owner(path):
    """The package dpkg says ships path, or None."""
    cands = [path, os.path.realpath(path)]
    for c in list(cands):
        for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
            if c.startswith(a):
                cands.append(b + c[len(a):])
            elif c.startswith(b):
                cands.append(a + c[len(b):])
    for c in cands:
        if c in _owner_cache:
            return _owner_cache[c]
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            for line in r.stdout.splitlines():
                pkgs, _, p = line.partition(": ")
                if p == c and not pkgs.startswith("diversion"):
                    pkg = pkgs.split(",")[0].strip().split(":")[0]
                    _owner_cache[c] = pkg
                    return pkg
    return None


def essential(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Essential}", pkg], capture_output=True, text=True)
    return r.stdout.strip() == "yes"


def check(kind, name, path, named):
    if not path or not os.path.exists(path):
        point(False, f"{kind} {name}: not on this machine (scripts/setup.sh should install it)")
        return
    pkg = owner(path)
    if pkg is None:
        point(False, f"{kind} {name}: {path} belongs to no Debian package")
    elif pkg in named:
        point(True, f"{kind} {name}: {path} from {pkg}")
    elif essential(pkg):
        point(True, f"{kind} {name}: {path} from {pkg} (Essential)")
    else:
        point(False, f"{kind} {name}: {path} is in Debian package {pkg}, which scripts/setup.sh does not install")


def shared_objects():
    sos = {}
    for d in ("app", "tests", "bench"):
        for root, _, fs in os.walk(os.path.join(BUILD, d)):
            for f in fs:
                p = os.path.join(root, f)
                if not os.access(p, os.X_OK) or not os.path.isfile(p):
                    continue
                with open(p, "rb") as fh:
                    if fh.read(4) != b"\x7fELF":
                        continue
                r = subprocess.run(["ldd", p], capture_output=True, text=True)
                needed = subprocess.run(["readelf", "-d", p], capture_output=True, text=True).stdout
                names = set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", needed))
                for line in r.stdout.splitlines():
                    m = re.match(r"\s*(\S+) => (\S+)", line) or re.match(r"\s*((/\S+)) \(", line)
                    if m and os.path.basename(m.group(1)) in names:
                        sos[os.path.basename(m.group(1))] = m.group(2)
                for n in names - set(sos):
                    sos[n] = None
    return sos


def pmds():
    names = {"bus_vdev", "mempool_ring"}
    rx = re.compile(r"\b((?:net|crypto)_(?:pcap|null|af_packet|tap|ring|memif|aesni_mb|aesni_gcm|openssl|ipsec_mb))\d*\b")
    for d in SCAN_DIRS + ["app", "config"]:
        for root, dirs, fs in os.walk(os.path.join(SRC, d)):
            dirs[:] = [x for x in dirs if x not in ("corpus", "crashes")]
            for f in fs:
                if f.endswith((".sh", ".py", ".c", ".json", ".h")):
                    with open(os.path.join(root, f), errors="replace") as fh:
                        names.update(rx.findall(fh.read()))
    names.discard("net_ring")  # rte_eth_from_rings(): part of librte-net-ring23 too, checked below
    names.add("net_ring")
    return sorted(names)


def run_bounded(cmd, env, secs=60):
    t0 = time.monotonic()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=secs, cwd=SRC,
                           env=dict(os.environ, **env), stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout, r.stderr, time.monotonic() - t0
    except subprocess.TimeoutExpired:
        return None, "", "", secs


def missing_piece_stops_at_once():
    """charon's openssl plugin taken away (the fresh-machine failure of
    issue 13): the demo and a strongSwan suite stop before they make
    anything, with one line naming the plugin and its package."""
    with tempfile.TemporaryDirectory() as d:
        for f in os.listdir(SW_PLUGIN_DIR):
            if f != "libstrongswan-openssl.so":
                os.symlink(os.path.join(SW_PLUGIN_DIR, f), os.path.join(d, f))
        env = {"DEPS_SW_PLUGIN_DIR": d, "SKIP_SETUP": "1", "BUILD_DIR": BUILD}
        want = re.compile(r"missing strongSwan plugin 'openssl' .*libstrongswan-standard-plugins")
        rc, out, err, secs = run_bounded(["bash", "scripts/demo.sh"], env)
        lines = [l for l in err.splitlines() if l.strip()]
        point(rc == 1 and len(lines) == 1 and want.search(lines[0]) is not None and secs < 10,
              f"demo without charon's openssl plugin stops at once with one line naming it"
              f" (exit {rc}, {secs:.1f} s, stderr {lines[:3]})")
        rc, out, err, secs = run_bounded(["bash", "tests/e2e/strongswan_selftest.sh", BUILD], env)
        bail = [l for l in out.splitlines() if l.startswith("Bail out!")]
        point(rc == 1 and len(bail) == 1 and want.search(bail[0]) is not None and secs < 10,
              f"a strongSwan suite without it bails out at once naming it (exit {rc}, {secs:.1f} s, {bail})")
    for kind, name, pkg in (("prog", "iperf3", "iperf3"), ("py", "scapy", "python3-scapy")):
        env = {"DEPS_PATH": "/nonexistent"} if kind == "prog" else {"PYTHONPATH": "/nonexistent"}
        # A module is hidden by a shadowing empty package of its name.
        with tempfile.TemporaryDirectory() as d:
            if kind == "py":
                os.mkdir(os.path.join(d, name))
                with open(os.path.join(d, name, "__init__.py"), "w") as fh:
                    fh.write("raise ImportError('hidden by tests/setup/deps.py')\n")
                env = {"PYTHONPATH": d}
            rc, out, err, _ = run_bounded(["bash", "-c", f"source scripts/lib/deps.sh; deps_need {kind} {name}; echo went on"], env)
        point(rc == 1 and "went on" not in out and f"from Debian package {pkg}:" in err and len(err.splitlines()) == 1,
              f"deps_need {kind} {name}: stops with one line naming {pkg} ({err.strip()})")


def main():
    named = set(bash('printf "%s\\n" "${DEPS_PKGS[@]}"').split())
    with open(os.path.join(SRC, "scripts/setup.sh")) as fh:
        setup = fh.read()
    point("scripts/lib/deps.sh" in setup and '"${DEPS_PKGS[@]}"' in setup,
          "scripts/setup.sh installs DEPS_PKGS of scripts/lib/deps.sh")

    words, paths = shell_words()
    mods, pywords = python_imports_and_strings()
    progs = {}
    for w in sorted(words | pywords):
        p = which(w)
        if p:
            progs[w] = p
    for p in sorted(paths):
        if os.access(p, os.X_OK):
            progs[p] = p
        else:
            point(False, f"program {p}: not on this machine")
    for w, p in sorted(progs.items()):
        check("program", w, p, named)

    plugins = bash('source "$0"/scripts/lib/strongswan.sh >/dev/null 2>&1; echo $SW_PLUGINS'.replace('"$0"', shlex.quote(SRC))).split()
    for f in files((".sh",)):
        with open(f, errors="replace") as fh:
            for m in re.finditer(r'SW_PLUGINS="\$SW_PLUGINS ([^"]+)"', fh.read()):
                plugins += m.group(1).split()
    for pl in sorted(set(plugins)):
        check("strongSwan plugin", pl, f"{SW_PLUGIN_DIR}/libstrongswan-{pl}.so", named)

    for m in sorted(mods):
        r = subprocess.run(["/usr/bin/python3", "-c", f"import {m}; print(getattr({m}, '__file__', '') or '')"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            point(False, f"python module {m}: cannot be imported by /usr/bin/python3")
        elif r.stdout.strip():
            check("python module", m, r.stdout.strip(), named)
        else:  # built into the interpreter
            check("python module", m + " (built in)", "/usr/bin/python3.11", named)

    for so, p in sorted(shared_objects().items()):
        check("shared object", so, p, named)

    for d in pmds():
        p = bash(f"deps_path pmd {d}").strip()
        check("DPDK driver", d, p or None, named)

    table = bash('for k in "${!DEPS_FROM[@]}"; do printf "%s\\t%s\\n" "$k" "${DEPS_FROM[$k]}"; done')
    for line in sorted(table.splitlines()):
        key, pkg = line.split("\t")
        kind, name = key.split(":", 1)
        path = bash(f"deps_path {shlex.quote(kind)} {shlex.quote(name)}").strip()
        real = owner(path) if path else None
        point(real == pkg and pkg in named,
              f"deps_need names {pkg} for {kind} {name}" + ("" if real == pkg else f" (dpkg says {real})"))

    missing_piece_stops_at_once()

    print(f"1..{len(points)}")
    for i, (ok, text) in enumerate(points, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {text}")
    return 0 if all(ok for ok, _ in points) else 1


sys.exit(main())
