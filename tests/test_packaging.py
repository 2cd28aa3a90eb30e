"""Packaging: the manual pages, --help/--version and usage errors, mounting the way
mount(8) and /etc/fstab do, the systemd user unit, `meson install`, and the Debian
package with lintian.

Debian packages these tests use beyond the project's own: scdoc, man-db and
groff-base (manual pages), systemd (systemd-analyze verify of the unit), util-linux
(mount, unshare, nsenter), and for the package build dpkg-dev, debhelper and lintian.
A test whose tool is missing is skipped with a reason that names the package."""
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BUILD, DAEMON, LOGIN, ROOT, is_mounted, wait_for

PACKAGING = ROOT / "packaging"
MAN_PAGES = ["monzohfs", "monzohfs-login"]
UNIT = PACKAGING / "systemd" / "monzohfs.service"


def need(tool, package):
    if not shutil.which(tool):
        pytest.skip(f"{tool} is missing: install the Debian package {package}")


def project_version():
    m = re.search(r"^project\([^)]*?version\s*:\s*'([^']+)'", (ROOT / "meson.build").read_text(), re.M | re.S)
    assert m, "no version in meson.build's project()"
    return m.group(1)


def run(args, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run([str(a) for a in args], **kw)


# ---------------------------------------------------------------- manual pages

@pytest.fixture(scope="module")
def man_pages(tmp_path_factory):
    """Each page made with scdoc (as meson does: source on stdin, roff on stdout)."""
    need("scdoc", "scdoc")
    out = tmp_path_factory.mktemp("man")
    pages = {}
    for page in MAN_PAGES:
        src = PACKAGING / "man" / f"{page}.1.scd"
        with src.open("rb") as f:
            r = subprocess.run(["scdoc"], stdin=f, capture_output=True, timeout=30)
        assert r.returncode == 0 and not r.stderr, f"scdoc {src}: {r.stderr.decode()}"
        (out / f"{page}.1").write_bytes(r.stdout)
        pages[page] = out / f"{page}.1"
    return pages


def render(page, width=80):
    """The page as man(1) shows it, without hyphenation; (text, warnings)."""
    need("man", "man-db")
    env = {k: v for k, v in os.environ.items() if k not in ("MAN_KEEP_FORMATTING", "MANOPT")}
    env.update(MANWIDTH=str(width), MANROFFOPT="-rHY=0", LANG="C.UTF-8", MANPAGER="cat", PAGER="cat")
    r = run(["man", "--warnings", "-l", page], env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout, r.stderr


@pytest.mark.parametrize("name", MAN_PAGES)
def test_man_page_renders_without_warnings(man_pages, name):
    text, warnings = render(man_pages[name])
    assert warnings == "", f"man --warnings on {name}(1):\n{warnings}"
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "ENVIRONMENT", "FILES", "EXIT STATUS",
                    "EXAMPLES", "SEE ALSO"):
        assert re.search(rf"^{section}$", text, re.M), f"{name}(1) has no {section} section"
    assert text.splitlines()[0].startswith(f"{name}(1)")


def man_paragraph(text, head):
    """The words of the paragraph whose first line starts with head, whitespace squeezed."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(head):
            para = [line]
            for nxt in lines[i + 1:]:
                if not nxt.strip():
                    break
                para.append(nxt)
            return " ".join(" ".join(para).split())
    return None


def help_options(text, section_start):
    """(option, default or None) for each option line of a --help section."""
    out, inside = [], False
    for line in text.splitlines():
        if line.strip().startswith(section_start):
            inside = True
            continue
        if inside and not line.strip():
            break
        if not inside:
            continue
        m = re.match(r"\s+(-o \w+(?:=\S+)?|--?[\w-]+(?:, --[\w-]+)?(?: N)?)\s{2,}(.*)", line)
        if m:
            d = re.search(r"\(default ([^)]+)\)", m.group(2))
            out.append((m.group(1), d.group(1) if d else None))
    return out


def test_monzohfs_man_page_has_every_option_and_default(man_pages):
    help_text = run([DAEMON, "--help"]).stdout
    opts = help_options(help_text, "monzohfs options:")
    assert len(opts) >= 14, opts
    text, _ = render(man_pages["monzohfs"], width=100)
    for opt, default in opts:
        head = opt.split(", ")[0]
        para = man_paragraph(text, head)
        assert para, f"monzohfs(1) does not document {opt}"
        if default:
            assert default in para, f"monzohfs(1): {opt} should give its default {default}: {para}"
    # fstab and its ignored words, systemd, freshness, the history store, tokens.
    squeezed = " ".join(text.split())
    for topic in ("noauto", "nofail", "_netdev", "fuse.monzohfs", "mount.monzohfs", "mount.fuse.monzohfs",
                  "fusermount3 -u", "/etc/fstab", "systemctl --user enable --now monzohfs", "single fetch",
                  "stale-if-error", ".status.json", "5 minutes", "90 days", "14 days", "tokens.json.lock",
                  "monzoh", "EXIT STATUS", "DIAGNOSTICS", "Transport endpoint is not connected"):
        assert topic in squeezed, topic


def test_monzohfs_login_man_page_has_every_option_and_setting(man_pages):
    help_text = run([LOGIN, "--help"]).stdout
    opts = help_options(help_text, "Options:")
    assert {o for o, _ in opts} >= {"--port N", "--no-browser", "--no-sync", "--parallel N", "-h, --help",
                                    "-V, --version"}, opts
    text, _ = render(man_pages["monzohfs-login"], width=100)
    for opt, _ in opts:
        assert man_paragraph(text, opt.split(", ")[0]), f"monzohfs-login(1) does not document {opt}"
    squeezed = " ".join(text.split())
    for setting in ("MONZO_CLIENT_ID", "MONZO_CLIENT_SECRET", "MONZO_REDIRECT_URI", "MONZO_AUTH_URL",
                    "MONZO_BASE_URL", "http://localhost:8080/callback", "https://auth.monzo.com",
                    "https://api.monzo.com", "10 minutes", "5 minutes", "tokens.json", "history.sqlite3"):
        assert setting in squeezed, setting


# ---------------------------------------------------------------- the command lines

def test_help_and_version():
    version = project_version()
    r = run([DAEMON, "--help"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: ") and "[SOURCE] MOUNTPOINT" in r.stdout.splitlines()[0]
    for opt in ("ttl=N", "whoami_ttl=N", "accounts_ttl=N", "balance_ttl=N", "pots_ttl=N", "transactions_ttl=N",
                "tokens=PATH", "store=PATH", "tz=ZONE", "offline", "allow_other"):
        assert opt in r.stdout, opt
    r = run([DAEMON, "--version"])
    assert r.returncode == 0 and r.stdout.splitlines()[0] == f"monzohfs {version}", r.stdout
    assert "FUSE library version 3." in r.stdout
    assert run([DAEMON, "-V"]).stdout == r.stdout

    r = run([LOGIN, "--help"])
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: monzohfs-login [--port N] [--no-browser] [--no-sync] [--parallel N]\n")
    assert "Exit status: 0 logged in, every account captured" in r.stdout
    assert "; 1 failed; 2 usage; 3 an account's history older than 90 days" in r.stdout
    r = run([LOGIN, "--version"])
    assert (r.returncode, r.stdout) == (0, f"monzohfs-login {version}\n")
    assert run([LOGIN, "-V"]).stdout == r.stdout


def test_debian_changelog_matches_the_project_version():
    first = (PACKAGING / "debian" / "changelog").read_text().splitlines()[0]
    m = re.match(r"monzohfs \(([^)-]+)-\d+\) ", first)
    assert m and m.group(1) == project_version(), first


def assert_usage_error(r, prog, message):
    lines = r.stderr.splitlines()
    assert r.returncode == 2, f"exit {r.returncode}:\n{r.stderr}"
    assert r.stdout == ""
    assert len(lines) == 2, r.stderr
    assert re.search(message, lines[0]), lines[0]
    assert lines[1].startswith("usage: ") and prog in lines[1] and "(see --help)" in lines[1], lines[1]


@pytest.mark.parametrize("args, message", [
    (["-o", "ttl=abc", "MNT"], r"ttl=abc"),
    (["-o", "balance_ttl=-5", "MNT"], r"ttl must be a number of seconds"),
    (["-o", "parallel=65", "MNT"], r"parallel takes a number from 1 to 64"),
    (["none", "MNT", "extra"], r"too many arguments"),
    ([], r"no mountpoint given"),
])
def test_monzohfs_usage_errors(tmp_path, args, message):
    args = [str(tmp_path) if a == "MNT" else a for a in args]
    r = run([DAEMON] + args, cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)))
    assert_usage_error(r, "monzohfs", message)


@pytest.mark.parametrize("args, message", [
    (["--bogus"], r"unknown option --bogus"),
    (["--port", "0"], r"--port takes a port number"),
    (["--port", "http"], r"--port takes a port number"),
    (["--parallel", "0"], r"--parallel takes a number from 1 to 64"),
    (["extra"], r"unexpected argument extra"),
])
def test_monzohfs_login_usage_errors(tmp_path, args, message):
    r = run([LOGIN] + args, cwd=tmp_path, env=dict(os.environ, HOME=str(tmp_path)))
    assert_usage_error(r, "monzohfs-login", message)


@pytest.mark.parametrize("args", [["--bogus", "MNT"], ["-o", "bogus", "MNT"], ["-x"]])
def test_monzohfs_unknown_option_is_a_usage_error(env, bank, tmp_path, args):
    env.login()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    args = [str(mnt) if a == "MNT" else a for a in args]
    try:
        r = run([DAEMON, "-f"] + args, cwd=env.root, env=env.vars, timeout=20)
    finally:
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)])
    assert bank.counts["whoami"] == 0, "the API was contacted before the command line was checked"
    assert_usage_error(r, "monzohfs", r"-x|bogus")


# ---------------------------------------------------------------- mount(8), fstab

def daemon_pids(mnt):
    """Live monzohfs processes (however they were started) serving mnt."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and b"monzohfs" in os.path.basename(argv[0]) and str(mnt).encode() in argv:
            pids.append(int(d.name))
    return pids


class Namespace:
    """A private mount namespace kept alive by a sleeping process.  mount(8) runs its
    helpers without PATH, so a monzohfs that is not installed can only be put where
    they look (/usr/local/sbin for mount.fuse3's /bin/sh, /usr/sbin for mount.TYPE)
    by bind mounts that nothing outside this namespace sees.  The test reaches the
    namespace's mounts through /proc/PID/root."""

    def __init__(self, tmp: Path, helper_links: bool):
        localsbin = tmp / "local-sbin"
        localsbin.mkdir()
        (localsbin / "monzohfs").symlink_to(DAEMON)
        q = shlex.quote
        script = f"set -e; mount --bind {q(str(localsbin))} /usr/local/sbin; "
        if helper_links:
            # /usr/sbin as it is, plus mount.monzohfs and mount.fuse.monzohfs, as the
            # package installs them.
            orig, farm = tmp / "orig-sbin", tmp / "sbin"
            orig.mkdir()
            farm.mkdir()
            for name in os.listdir("/usr/sbin"):
                (farm / name).symlink_to(orig / name)
            for helper in ("mount.monzohfs", "mount.fuse.monzohfs"):
                (farm / helper).symlink_to(DAEMON)
            script += f"mount --bind /usr/sbin {q(str(orig))}; mount --bind {q(str(farm))} /usr/sbin; "
        script += "echo ready; exec sleep 600"
        self.proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.proc.wait()
            pytest.fail(f"cannot set up a mount namespace: {self.proc.stderr.read()}")

    def path(self, p):
        return Path(f"/proc/{self.proc.pid}/root{p}")

    def cmd(self, args):
        return ["nsenter", "-t", str(self.proc.pid), "-m", "--"] + [str(a) for a in args]

    def close(self):
        self.proc.kill()
        self.proc.wait()


class FstabMount:
    """A detached daemon started the way mount(8) starts it; found and awaited by
    condition, since no child of ours waits for it."""

    def __init__(self, env, bank, tmp: Path, ns=None):
        self.env, self.bank, self.ns = env, bank, ns
        self.mnt = tmp / "mnt"
        self.mnt.mkdir()
        self.store = tmp / "history.sqlite3"
        env.login()
        self.vars = dict(env.vars, MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET=bank.client_secret,
                         PATH=f"{BUILD}:{os.environ.get('PATH', '/usr/bin:/bin')}")
        self.opts = f"noauto,user,nofail,_netdev,tokens={env.tokens},store={self.store}"

    def seen(self):
        """mnt as the test sees it (through the namespace when there is one)."""
        return self.ns.path(self.mnt) if self.ns else self.mnt

    def wrap(self, args):
        return self.ns.cmd(args) if self.ns else [str(a) for a in args]

    def mount(self, args, **kw):
        r = run(self.wrap(args), env=self.vars, cwd=self.env.root, stdin=subprocess.DEVNULL, **kw)
        assert r.returncode == 0, f"{' '.join(map(str, args))} exited {r.returncode}:\n{r.stdout}{r.stderr}"
        wait_for(lambda: os.path.ismount(self.seen()), what=f"the mount at {self.mnt}")
        self.pids = wait_for(lambda: daemon_pids(self.mnt), what="the monzohfs daemon")
        return r

    def check_served(self):
        mounts = (Path(f"/proc/{self.pids[0]}/mounts")).read_text().splitlines()
        mine = [m.split() for m in mounts if m.split()[1] == str(self.mnt)]
        assert mine and mine[0][0] == "monzohfs" and mine[0][2] == "fuse.monzohfs", mine
        whoami = json.loads((self.seen() / "whoami.json").read_text())
        assert whoami["user_id"] == self.bank.user_id
        accounts = json.loads((self.seen() / "accounts.json").read_text())
        assert [a["id"] for a in accounts["accounts"]] == [a["id"] for a in self.bank.accounts]
        acc = self.bank.accounts[0]["id"]
        assert (self.seen() / "accounts" / acc / "transactions.csv").read_text().startswith("Transaction ID,Date,")
        assert self.store.exists()
        # The detached daemon's own thread copies the store's log into the database
        # after the sync, while it stays mounted (the first account's history is
        # megabytes; the file holds only the schema until then).
        wait_for(lambda: self.store.stat().st_size > 1 << 20, what="the store's log copied into it")

    def umount(self, how):
        r = run(self.wrap([how, "-u", self.mnt] if how == "fusermount3" else [how, self.mnt]))
        assert r.returncode == 0, f"{how}: {r.stderr}"
        wait_for(lambda: not os.path.ismount(self.seen()), what="the unmount")
        wait_for(lambda: not daemon_pids(self.mnt), timeout=15, what="the daemon to exit after the unmount")

    def cleanup(self):
        if os.path.ismount(self.seen()):
            run(self.wrap(["umount", "-l", self.mnt]) if os.geteuid() == 0 else
                ["fusermount3", "-u", "-z", self.mnt])
        for pid in daemon_pids(self.mnt):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.ns:
            self.ns.close()


def as_root_with_unshare():
    if os.geteuid() != 0:
        pytest.skip("mount(8) with a type and no /etc/fstab entry needs root")
    need("unshare", "util-linux")
    need("nsenter", "util-linux")


def test_fstab_style_mount_through_mount_fuse3(env, bank, tmp_path):
    """mount.fuse3 with the arguments mount(8) hands it for type fuse.monzohfs: it
    drops the fstab words and runs `monzohfs none MNT -o ...` through /bin/sh, found
    on PATH (build/ first here); then fusermount3 -u unmounts and the daemon exits."""
    need("mount.fuse3", "fuse3")
    m = FstabMount(env, bank, tmp_path)
    try:
        m.mount(["mount.fuse3", "none", m.mnt, "-t", "fuse.monzohfs", "-o", m.opts])
        m.check_served()
        m.umount("fusermount3")
    finally:
        m.cleanup()


@pytest.mark.parametrize("fstype, helper_links, how", [
    ("fuse.monzohfs", False, "umount"),       # mount(8) -> mount.fuse3 -> sh -> monzohfs
    ("fuse.monzohfs", True, "fusermount3"),   # mount(8) -> mount.fuse.monzohfs (the package's link)
    ("monzohfs", True, "umount"),             # mount(8) -> mount.monzohfs (the package's link)
])
def test_fstab_style_mount_through_mount8(env, bank, tmp_path, fstype, helper_links, how):
    """`mount -t TYPE none MNT -o noauto,user,tokens=...,store=...`, as a line of
    /etc/fstab does, in a private mount namespace; then the unmount ends the daemon."""
    as_root_with_unshare()
    ns = Namespace(tmp_path, helper_links)
    m = None
    try:
        m = FstabMount(env, bank, tmp_path, ns)
        m.mount(["mount", "-t", fstype, "none", m.mnt, "-o", m.opts])
        m.check_served()
        m.umount(how)
    finally:
        if m:
            m.cleanup()  # closes the namespace too
        else:
            ns.close()


def test_fstab_style_mount_without_home(env, bank, tmp_path):
    """As mount(8) runs /sbin/mount.monzohfs for an ordinary user's fstab line:
    `mount.monzohfs none MNT -o rw,...` with no HOME (and no XDG variables)."""
    m = FstabMount(env, bank, tmp_path)
    for k in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        m.vars.pop(k, None)
    try:
        m.mount(["mount.monzohfs", "none", m.mnt, "-o", "rw,nosuid,nodev," + m.opts], executable=DAEMON)
        m.check_served()
        m.umount("fusermount3")
    finally:
        m.cleanup()


# ---------------------------------------------------------------- systemd user unit

def unit_entries(path=UNIT):
    """[(section, key, value)] of a unit file, in order (keys may repeat)."""
    out, section = [], None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key.strip(), value.strip()))
    return out


def unit_get(entries, section, key):
    return [v for s, k, v in entries if s == section and k == key]


def test_systemd_unit_content():
    e = unit_entries()
    assert unit_get(e, "Service", "Type") == ["simple"]
    assert unit_get(e, "Service", "ExecStart") == ["/usr/bin/monzohfs -f %h/monzo"]
    assert unit_get(e, "Service", "ExecStartPre") == ["/usr/bin/mkdir -p %h/monzo"]
    assert unit_get(e, "Service", "ExecStop") == ["/usr/bin/fusermount3 -u %h/monzo"]
    assert unit_get(e, "Install", "WantedBy") == ["default.target"]
    assert unit_get(e, "Service", "Restart") == ["on-abnormal"]  # as monzohfs(1) says
    assert unit_get(e, "Service", "RestartSec") == ["10"]
    for s, k, v in e:
        assert k != "NoNewPrivileges", "NoNewPrivileges breaks the setuid fusermount3"
        if k.startswith("Exec"):
            assert v.lstrip("-@:+!").startswith("/"), f"{k}={v}: not an absolute path"


def test_systemd_unit_verifies(tmp_path):
    need("systemd-analyze", "systemd")
    unit = tmp_path / "monzohfs.service"
    unit.write_text(UNIT.read_text().replace("/usr/bin/monzohfs", str(DAEMON)))
    rt = tmp_path / "runtime"
    rt.mkdir(mode=0o700)
    r = run(["systemd-analyze", "--user", "--man=no", "verify", unit],
            env=dict(os.environ, XDG_RUNTIME_DIR=str(rt), HOME=str(tmp_path)))
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


class UnitRun:
    """Runs the unit's commands as systemd would, with HOME=home: %h expanded, "$$"
    read as "$", a leading "-" (ignore failure) stripped, and /usr/bin/monzohfs
    replaced by the monzohfs under test."""

    def __init__(self, env, bank, home: Path):
        self.home = home
        self.entries = unit_entries()
        self.vars = dict(env.vars, HOME=str(home), MONZO_CLIENT_ID=bank.client_id,
                         MONZO_CLIENT_SECRET=bank.client_secret)
        self.mnt = home / "monzo"
        self.main = None
        self.log = open(home.parent / "unit.log", "w+")

    def argv(self, value):
        value = value.lstrip("-").replace("$$", "\0").replace("%h", str(self.home)).replace("\0", "$")
        return [str(DAEMON) if a == "/usr/bin/monzohfs" else a for a in shlex.split(value)]

    def run_all(self, key, **extra):
        codes = []
        for value in unit_get(self.entries, "Service", key):
            r = run(self.argv(value), env=dict(self.vars, **extra))
            assert value.startswith("-") or r.returncode == 0, f"{key}={value}: exit {r.returncode}: {r.stderr}"
            codes.append(r.returncode)
        return codes

    def start(self):
        self.run_all("ExecStartPre")
        assert self.mnt.is_dir()
        self.main = subprocess.Popen(self.argv(unit_get(self.entries, "Service", "ExecStart")[0]), env=self.vars,
                                     cwd=self.home, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for(lambda: self.main.poll() is not None or is_mounted(self.mnt), what="the unit's mount")
        assert self.main.poll() is None, f"monzohfs exited {self.main.returncode}:\n{self.output()}"

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def cleanup(self):
        if is_mounted(self.mnt):
            subprocess.run(["fusermount3", "-u", "-z", str(self.mnt)])
        if self.main and self.main.poll() is None:
            self.main.kill()
            self.main.wait()
        self.log.close()


def test_systemd_unit_commands_mount_and_unmount(env, bank, tmp_path):
    """Start: ExecStartPre, then ExecStart as the main process.  Stop: ExecStop,
    after which the main process exits 0 by itself, then ExecStopPost, which
    leaves alone a mount point that a clean stop already freed."""
    env.login()
    home = tmp_path / "home"
    home.mkdir()
    u = UnitRun(env, bank, home)
    try:
        u.start()
        assert json.loads((u.mnt / "whoami.json").read_text())["user_id"] == bank.user_id
        u.run_all("ExecStop")
        assert u.main.wait(timeout=15) == 0, u.output()
        assert not is_mounted(u.mnt)
        assert u.run_all("ExecStopPost", SERVICE_RESULT="success") == [0]
    finally:
        u.cleanup()


def test_systemd_unit_recovers_from_a_crash(env, bank, tmp_path):
    """A daemon killed by a signal leaves a dead mount; ExecStopPost (run with
    SERVICE_RESULT=signal) detaches it so that the restart mounts again.  After a
    start that failed (SERVICE_RESULT=exit-code) it leaves the mount point alone."""
    env.login()
    home = tmp_path / "home"
    home.mkdir()
    u = UnitRun(env, bank, home)
    try:
        u.start()
        u.main.send_signal(signal.SIGKILL)
        u.main.wait()
        with pytest.raises(OSError):  # "Transport endpoint is not connected"
            (u.mnt / "whoami.json").read_text()
        u.run_all("ExecStopPost", SERVICE_RESULT="exit-code")
        assert is_mounted(u.mnt), "ExecStopPost detached a mount after a mere exit-code failure"
        u.run_all("ExecStopPost", SERVICE_RESULT="signal")
        assert not is_mounted(u.mnt)
        u.start()  # Restart=on-abnormal
        assert json.loads((u.mnt / "whoami.json").read_text())["user_id"] == bank.user_id
        u.run_all("ExecStop")
        assert u.main.wait(timeout=15) == 0, u.output()
    finally:
        u.cleanup()


# ---------------------------------------------------------------- meson install

def test_meson_install_destdir(tmp_path):
    """A fresh build installed with --destdir puts every file where the package and
    the manual pages say, for prefix /usr and for the default /usr/local."""
    need("meson", "meson")
    b, dest = tmp_path / "build", tmp_path / "dest"
    r = run(["meson", "setup", b, ROOT, "--prefix=/usr"], timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["meson", "install", "-C", b, "--destdir", dest], timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    usr = dest / "usr"
    for f in ("bin/monzohfs", "bin/monzohfs-login"):
        assert os.access(usr / f, os.X_OK), f
    assert (usr / "share/monzohfs/monzohfs.rules").is_file()
    assert (usr / "lib/systemd/user/monzohfs.service").read_text() == UNIT.read_text()
    for helper in ("mount.monzohfs", "mount.fuse.monzohfs"):
        link = usr / "sbin" / helper
        assert os.readlink(link) == "../bin/monzohfs"
        assert link.resolve() == (usr / "bin/monzohfs").resolve()
    if shutil.which("scdoc"):
        for page in MAN_PAGES:
            assert (usr / f"share/man/man1/{page}.1").read_bytes().startswith(b".\\\" Generated by scdoc")
        for helper in ("mount.monzohfs", "mount.fuse.monzohfs"):
            assert (usr / f"share/man/man8/{helper}.8").resolve() == (usr / "share/man/man1/monzohfs.1").resolve()

    # The default prefix: the unit is rewritten to run /usr/local/bin/monzohfs.
    r = run(["meson", "configure", b, "--prefix=/usr/local"])
    assert r.returncode == 0, r.stderr
    dest2 = tmp_path / "dest-local"
    r = run(["meson", "install", "-C", b, "--destdir", dest2], timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    unit = (dest2 / "usr/local/lib/systemd/user/monzohfs.service").read_text()
    assert "ExecStart=/usr/local/bin/monzohfs -f %h/monzo" in unit
    assert os.readlink(dest2 / "usr/local/sbin/mount.monzohfs") == "../bin/monzohfs"


# ---------------------------------------------------------------- the Debian package

def test_debian_package_builds_and_passes_lintian(tmp_path):
    """scripts/package builds the .deb from a copy of this tree and runs lintian,
    failing on any lintian error; then the .deb holds what it should."""
    for tool, package in (("dpkg-buildpackage", "dpkg-dev"), ("dpkg-checkbuilddeps", "dpkg-dev"),
                          ("dh", "debhelper"), ("lintian", "lintian")):
        need(tool, package)
    r = run(["dpkg-checkbuilddeps", PACKAGING / "debian" / "control"])
    if r.returncode != 0:
        pytest.skip(f"build dependencies missing: {r.stderr.strip()}")
    out = tmp_path / "out"
    started = time.monotonic()
    r = run([ROOT / "scripts" / "package", out], timeout=300)
    assert r.returncode == 0, f"scripts/package exited {r.returncode}:\n{r.stdout}{r.stderr}"
    assert "lintian: no errors" in r.stderr
    assert time.monotonic() - started < 180, "the package build should stay under 3 minutes"

    debs = sorted(out.glob("monzohfs_*_*.deb"))
    assert len(debs) == 1, list(out.iterdir())
    deb = debs[0]
    assert deb.name.startswith(f"monzohfs_{project_version()}-")
    listing = run(["dpkg-deb", "-c", deb]).stdout
    entries = {}
    for line in listing.splitlines():
        name = line.split(None, 5)[5]
        path, _, target = name.partition(" -> ")
        entries[path.lstrip(".")] = target
    for f in ("/usr/bin/monzohfs", "/usr/bin/monzohfs-login", "/usr/share/man/man1/monzohfs.1.gz",
              "/usr/share/man/man1/monzohfs-login.1.gz", "/usr/lib/systemd/user/monzohfs.service",
              "/usr/share/monzohfs/monzohfs.rules", "/usr/share/doc/monzohfs/copyright",
              "/usr/share/doc/monzohfs/README.md.gz"):
        assert f in entries, f"{f} is not in {deb.name}:\n{listing}"
    assert entries["/usr/sbin/mount.monzohfs"] == "../bin/monzohfs"
    assert entries["/usr/sbin/mount.fuse.monzohfs"] == "../bin/monzohfs"

    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    for dep in ("fuse3", "tzdata", "ca-certificates", "libfuse3-3", "libcurl4"):
        assert re.search(rf"(^|, ){re.escape(dep)}( |,|$)", depends.strip()), f"{dep} not in Depends: {depends}"

    # The unit is shipped but not enabled for every user at installation.
    scripts = tmp_path / "control"
    run(["dpkg-deb", "-e", deb, scripts], check=True)
    postinst = (scripts / "postinst").read_text() if (scripts / "postinst").exists() else ""
    if "--user enable" in postinst:
        # dh_installsystemduser --no-enable: enable only where the admin had enabled it.
        assert "--user debian-installed" in postinst, postinst
