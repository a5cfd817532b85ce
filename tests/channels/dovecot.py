"""A real IMAP server for the tests: Debian's dovecot, started with its own configuration in a
temporary directory (a non-privileged port on loopback, plaintext login, a passwd-file user,
maildir). ``make test`` installs dovecot-imapd when missing; without it these tests skip, except
with CI=true where that is a failure."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.notify.support import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "suporte", "senha-do-imap-de-teste"


@dataclass(frozen=True)
class Imap:
    host: str
    port: int
    user: str
    password: str
    pid: int  # dovecot's master process (started by the test)

    def drop_connections(self) -> int:
        """End every IMAP session of this server as a network failure would (its ``imap``
        processes, children of the master the test started, are killed): how many."""
        killed = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            if parent == self.pid and name == "imap":
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(entry.name), signal.SIGKILL)
                    killed += 1
        return killed


def require_dovecot() -> None:
    if not os.path.exists(DOVECOT):
        if os.environ.get("CI") == "true":
            pytest.fail("dovecot is missing (apt-get install dovecot-imapd; `make test` does it)")
        pytest.skip("dovecot is not installed (`make test` installs dovecot-imapd)")


@contextmanager
def dovecot_server(extra: str = "") -> Iterator[Imap]:
    """``extra``: more configuration (e.g. ``imap_capability`` without IDLE)."""
    require_dovecot()
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="atende-dovecot-"))
    me = pwd.getpwuid(os.geteuid())
    if os.geteuid() == 0:  # root: mail as nobody, the login and internal users of the package
        mail_user = pwd.getpwnam("nobody")
        login_user, internal_user = "dovenull", "dovecot"
    else:
        mail_user, login_user, internal_user = me, me.pw_name, me.pw_name
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        for sub in ("mail", "home"):
            os.chown(root / sub, mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    conf = root / "dovecot.conf"
    conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
instance_name = atende-test-{port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{extra}
""")
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                out = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"dovecot did not start:\n{out}\n{log}")
            time.sleep(0.05)
        yield Imap("127.0.0.1", port, USER, PASSWORD, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
