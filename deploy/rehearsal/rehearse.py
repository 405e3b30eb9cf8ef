"""Rehearse the README's "Deployment" on a fresh Debian 12 VM under real systemd.

Needs root, qemu-system-x86_64 and debootstrap (Debian's qemu-system-x86 and debootstrap),
pexpect (the ``rehearsal`` extra), and the Debian mirror and PyPI reachable (directly or as
/etc/hosts says). Usage, from the checkout::

    python3 deploy/rehearsal/rehearse.py WORKDIR

WORKDIR keeps the debootstrap tree (made once by ``machine.sh``; delete it for a new one), a
fresh disk image each run, the VM's serial console and ``rehearsal.log``. The README's commands
are taken from its shell blocks and inline commands (``readme_commands``), typed into one root
shell over SSH as an operator would, with ``vote.example.kr`` replaced by the VM's name; the
password prompt is answered and the env file edited as step 3 says. Then ``checks`` (with
``flow.py`` in the VM) tries the result, the VM reboots and it tries again. Software emulation
(TCG): KVM does not work inside this project's gVisor sandbox; a run takes about half an hour.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NAME = "vote.rehearsal.test"
SSH_PORT = 2222
PROMPT = r"\[rc=(\d+)\]# "
PASSWORD_PROMPTS = [r"Enter password for new role: ", r"Enter it again: "]
"""createuser -P's questions (step 2), answered with the password put in the env file."""
INLINE_COMMANDS = ("su ", "install ", "cd ", "curl ")
"""Inline code that starts so is a command to run; the other inline code in the section names
settings, paths or commands the units run (``gunicorn ...``, ``rq worker ...``)."""
SERVICES = ["votesvc", "votesvc-worker", "nginx", "postgresql", "redis-server"]
CHECKOUT_STYLESHEET = "/srv/votesvc/votesvc/web/static/css/site.css"
"""The pages' stylesheet where README step 1 puts the checkout (the kit's nginx includes a copy)."""
LAST_STEP = 7
"""Steps 8 on are several machines, probes, backups, cron and kiosks: not one machine's setup."""


def readme_commands(readme: str) -> list[tuple[int, str]]:
    """(step, command) for steps 1 to LAST_STEP of the Deployment section, in order."""
    section = readme.split("\n## Deployment\n", 1)[1].split("\n## ", 1)[0]
    steps = re.split(r"\n(?=\d+\. )", section)[1:]
    found = []
    for step in steps:
        number = int(step.split(".", 1)[0])
        if number > LAST_STEP:
            break
        for block, inline in re.findall(r"```sh\n(.*?)```|`([^`]+)`", step, re.S):
            if block:
                lines = [line.strip() for line in block.splitlines()]
                found += [(number, line) for line in lines if line and not line.startswith("#")]
            elif inline.startswith(INLINE_COMMANDS):
                found.append((number, " ".join(inline.split())))
    return found


class Shell:
    """One interactive root shell in the VM; every command's exit status is checked."""

    def __init__(self, work: Path, log: TextIO) -> None:
        import pexpect  # only the rehearsal itself needs it, not the test of readme_commands

        program, *arguments = ssh(work, "-tt")
        self.child = pexpect.spawn(program, arguments, encoding="utf-8", timeout=60)
        self.child.logfile_read = log
        # pipefail: "flow.py ... | tee" fails when flow.py does, not only when tee does
        self.child.sendline("set -o pipefail; export PS1='[rc=$?]# ' LANG=C.UTF-8")
        self.child.expect(PROMPT)

    def run(self, command: str, password: str = "", timeout: float = 3600) -> None:
        self.child.sendline(command)
        while True:
            seen = self.child.expect([PROMPT, *PASSWORD_PROMPTS], timeout=timeout)
            if seen == 0:
                break
            self.child.sendline(password)
        if self.child.match.group(1) != "0":
            raise SystemExit(f"failed (exit {self.child.match.group(1)}): {command}")


def ssh(work: Path, *options: str) -> list[str]:
    """ssh to the VM's root with the rehearsal's key (a new host key every run: not kept)."""
    return [
        "ssh", "-i", str(work / "id_ed25519"), "-p", str(SSH_PORT), "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", *options, "root@127.0.0.1",
    ]  # fmt: skip


def boot(work: Path) -> tuple[subprocess.Popen, float]:
    """Start the VM (TCG, see above) and wait for SSH; returns it and the seconds it took."""
    started = time.monotonic()
    vm = subprocess.Popen(
        [
            "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "3072",
            "-kernel", str(work / "vmlinuz"), "-initrd", str(work / "initrd.img"),
            "-append", "root=/dev/vda rw console=ttyS0", "-display", "none", "-monitor", "none",
            "-drive", f"file={work / 'disk.raw'},format=raw,if=virtio",
            "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{SSH_PORT}-:22",
            "-device", "virtio-net-pci,netdev=net0", "-serial", f"file:{work / 'console.log'}",
        ]
    )  # fmt: skip
    wait_for_ssh(work)
    return vm, time.monotonic() - started


def wait_for_ssh(work: Path) -> None:
    for _ in range(120):
        if subprocess.run([*ssh(work), "true"]).returncode == 0:
            return
        time.sleep(5)
    raise SystemExit("the VM did not answer SSH within 10 minutes")


def fresh_disk(work: Path, ref: str) -> None:
    """A new disk from the debootstrap tree, with the code at /root/votesvc.tar to copy in."""
    if not (work / "root").exists():
        key = work / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        subprocess.run(["sh", HERE / "machine.sh", work / "root", NAME, f"{key}.pub"], check=True)
    with open(work / "root/root/votesvc.tar", "wb") as archive:
        subprocess.run(["git", "-C", ROOT, "archive", ref], stdout=archive, check=True)
    for name in ("vmlinuz", "initrd.img"):
        [found] = (work / "root/boot").glob(f"{name}-*")
        (work / name).write_bytes(found.read_bytes())
    # sparse: the system, the packages, the venv and step 2's 2 GB of WAL files fit with room
    command = ["mkfs.ext4", "-q", "-F", "-d", work / "root", work / "disk.raw", "10G"]
    subprocess.run(command, check=True)


def readme(shell: Shell, text: str) -> str:
    """Run steps 1 to 7 as written (vote.example.kr → NAME); returns the admin key printed."""
    password = secrets.token_urlsafe(24)
    key = ""
    copied = False
    commands = readme_commands(text)
    for index, (step, command) in enumerate(commands):
        command = command.replace("vote.example.kr", NAME)
        if command.startswith("git clone "):
            continue  # "or copy the checkout there": just before it is first entered
        if command.startswith("cd /srv/votesvc") and not copied:
            print(f"\n### step {step}: the checkout (git archive) copied to /srv/votesvc")
            shell.run("install -d /srv/votesvc && tar -x -C /srv/votesvc -f /root/votesvc.tar")
            copied = True
        print(f"\n### step {step}: {command}", flush=True)
        shell.run(command, password)
        if "create-admin-key" in command:
            key = re.search(r"Authorization: Bearer (\S+)", shell.child.before).group(1)
        if step == 3 and commands[index + 1][0] == 4:
            edit_settings(shell, password)
    return key


def edit_settings(shell: Shell, password: str) -> None:
    """Step 3's "edit it": two secrets from the README's own command, the address, the password."""
    new = "$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
    env = "/etc/votesvc/votesvc.env"
    print("\n### step 3: edit /etc/votesvc/votesvc.env", flush=True)
    for setting in ("VOTESVC_SECRET_KEY", "VOTESVC_TOKEN_HASH_KEY"):
        shell.run(f'sed -i "s|^{setting}=change-me$|{setting}={new}|" {env}')
    shell.run(
        f"sed -i 's|votesvc:change-me@|votesvc:{password}@|; s|vote.example.kr|{NAME}|' {env}"
    )
    shell.run(f"! grep -n '^[^#].*change-me' {env}")


def checks(shell: Shell, key: str, text: str, first: bool) -> None:
    """All services up, the README's check-deploy (exit 0), readyz 200, the results served;
    the first time also one election voted and counted on the worker, and a web restart."""
    [check] = [command for step, command in readme_commands(text) if "check-deploy" in command]
    steps = [
        "systemctl is-system-running --wait; systemctl is-active " + " ".join(SERVICES),
        check,
        f"test \"$(curl -sk -o /dev/null -w '%{{http_code}}' https://{NAME}/readyz)\" = 200",
    ]
    if first:
        steps += [
            # nginx's own refusal page (a 414) with the stylesheet written in (the kit's copy,
            # the checkout's own). HTTP/1.1: over HTTP/2 nginx 1.22 passes a 9 000-byte path on
            # and resets the stream of a 16 000-byte one (docs/operations.md)
            f"test \"$(curl -sk --http1.1 -o /root/414.html -w '%{{http_code}}'"
            f" https://{NAME}/$(head -c 9000 /dev/zero | tr '\\0' x))\" = 414"
            f' && grep -qF "$(sed -n 2p {CHECKOUT_STYLESHEET})" /root/414.html',
            # step 2's WAL files, made and kept (min_wal_size): 128 of 16 MB at least
            'test "$(ls /var/lib/postgresql/15/main/pg_wal'
            " | grep -c '^[0-9A-F]\\{24\\}$')\" -ge 128",
            f"python3 /root/flow.py vote https://{NAME} {key} | tee /root/flow.out",
            "journalctl -u votesvc-worker --no-pager | grep 'Successfully completed'",
            "systemctl restart votesvc && sleep 5 && systemctl is-active votesvc",
        ]
    election = "$(sed -n 's/^election //p' /root/flow.out)"
    steps.append(f"python3 /root/flow.py results https://{NAME} {election}")
    for command in steps:
        print(f"\n### check: {command}", flush=True)
        shell.run(command, timeout=600)


def main(work: Path, ref: str) -> None:
    work.mkdir(parents=True, exist_ok=True)
    fresh_disk(work, ref)
    with open(work / "rehearsal.log", "w", encoding="utf-8") as log:
        vm, seconds = boot(work)
        print(f"\n### booted: SSH answered after {seconds:.0f} s", flush=True)
        with open(HERE / "flow.py", "rb") as flow:
            subprocess.run([*ssh(work), "cat >/root/flow.py"], stdin=flow, check=True)
        shell = Shell(work, log)
        started = time.monotonic()
        text = (ROOT / "README.md").read_text(encoding="utf-8")
        key = readme(shell, text)
        print(f"\n### README steps 1-7 took {time.monotonic() - started:.0f} s", flush=True)
        checks(shell, key, text, first=True)
        shell.child.sendline("systemctl reboot")
        started = time.monotonic()
        time.sleep(20)
        wait_for_ssh(work)
        print(f"\n### rebooted: SSH answered after {time.monotonic() - started:.0f} s", flush=True)
        checks(Shell(work, log), key, text, first=False)
        subprocess.run([*ssh(work), "systemctl poweroff"])
        vm.wait(timeout=300)
    print("\n### rehearsal passed", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve(), sys.argv[2] if len(sys.argv) > 2 else "HEAD")
