"""ISP, router and LAN in network namespaces, with miniupnpd as the home router.

    prd-isp [isp0: gateway + STUN]  <->  [wan0] prd-router (miniupnpd, nft NAT) [lan0 192.168.1.1]
                                                   <->  [host0 192.168.1.10] prd-lan

Nothing connects to the root namespace, so no lab packet can leave the machine. The
lab kills only the processes it started (by recorded PID) and deletes only its own
namespaces. Debian's nft_init.sh for miniupnpd is broken on bookworm: the ruleset is
loaded here instead, with miniupnpd's default table and chain names.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time

# Namespace names are machine-wide: a tag from the checkout's path keeps the labs of two
# worktrees (run at the same time) from tearing down each other's namespaces.
_TAG = hashlib.sha256(str(Path(__file__).resolve().parents[2]).encode()).hexdigest()[:6]
NS_ISP, NS_ROUTER, NS_LAN = (f"prd-{_TAG}-{role}" for role in ("isp", "router", "lan"))
ROUTER_LAN, HOST_LAN = "192.168.1.1", "192.168.1.10"
HTTP_PORT = 5000
LOCATION = f"http://{ROUTER_LAN}:{HTTP_PORT}/rootDesc.xml"
UPSTREAM_PUBLIC = "203.0.113.100"  # what an upstream (carrier) NAT shows the internet
INTERNET_STUN = ("198.51.100.1", "198.51.100.2")
PACKAGES = ("miniupnpd", "miniupnpd-nftables", "miniupnpc", "nftables", "iproute2")


@dataclass(frozen=True)
class Case:
    """A WAN set-up: the router's WAN address, the ISP gateway, and how miniupnpd learns its IP."""

    name: str
    wan_cidr: str
    gateway: str
    stun_other: str
    # "stun": miniupnpd confirms its WAN address by STUN (reports it, forwards).
    # "iface": stock behaviour, a reserved WAN address is hidden ("") and nothing forwards.
    # "upstream-nat": STUN answers through an emulated carrier NAT: reports that NAT's address.
    ext_ip: str = "stun"

    @property
    def wan_ip(self) -> str:
        return self.wan_cidr.split("/")[0]


CASES = {
    "public": Case("public", "203.0.113.2/24", "203.0.113.1", "203.0.113.3"),
    "cgnat": Case("cgnat", "100.64.10.2/10", "100.64.0.1", "100.64.0.3"),
    "private": Case("private", "192.168.100.2/24", "192.168.100.1", "192.168.100.3"),
    "stock-private": Case("stock-private", "192.168.100.2/24", "192.168.100.1", "192.168.100.3", "iface"),
    "upstream-nat": Case("upstream-nat", "203.0.113.2/24", "203.0.113.1", "203.0.113.3", "upstream-nat"),
}

ROUTER_RULESET = """
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "lan0" oifname "wan0" accept
    jump miniupnpd
  }
  chain miniupnpd { }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump postrouting_miniupnpd
    oifname "wan0" masquerade
  }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
"""


def why_not() -> str | None:
    """Why the lab cannot run here, or None."""
    if sys.platform != "linux":
        return "the router lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the router lab needs root (network namespaces, veth, nftables)"
    if missing := [tool for tool in ("ip", "nft", "/usr/sbin/miniupnpd", "upnpc") if not shutil.which(tool)]:
        return f"the router lab needs {', '.join(missing)} (apt-get install {' '.join(PACKAGES)})"
    return None


def install() -> None:
    """Install the lab's Debian packages (root only); never starts the system daemon."""
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], check=False, env=env, capture_output=True)


def run(*command: str, namespace: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    return subprocess.run([*prefix, *command], check=check, capture_output=True, text=True, timeout=30)


class Lab:
    """One lab at a time; ``up`` tears the previous one down first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.case: Case | None = None

    def up(self, case: Case, *, secure_mode: bool = True, igd_v1: bool = False) -> float:
        """Build the namespaces and start STUN and miniupnpd; return seconds taken."""
        start = time.monotonic()
        self.down()
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "upnp.leases").unlink(missing_ok=True)  # each case starts with an empty table
        for namespace in (NS_ISP, NS_ROUTER, NS_LAN):
            run("ip", "netns", "add", namespace)
            run("ip", "-n", namespace, "link", "set", "lo", "up")
        run(
            "ip",
            "link",
            "add",
            "wan0",
            "netns",
            NS_ROUTER,
            "type",
            "veth",
            "peer",
            "name",
            "isp0",
            "netns",
            NS_ISP,
        )
        run(
            "ip",
            "link",
            "add",
            "lan0",
            "netns",
            NS_ROUTER,
            "type",
            "veth",
            "peer",
            "name",
            "host0",
            "netns",
            NS_LAN,
        )
        prefix = case.wan_cidr.split("/")[1]
        run("ip", "-n", NS_ISP, "addr", "add", f"{case.gateway}/{prefix}", "dev", "isp0")
        run("ip", "-n", NS_ISP, "addr", "add", f"{case.stun_other}/{prefix}", "dev", "isp0")
        run("ip", "-n", NS_ROUTER, "addr", "add", case.wan_cidr, "dev", "wan0")
        run("ip", "-n", NS_ROUTER, "addr", "add", f"{ROUTER_LAN}/24", "dev", "lan0")
        run("ip", "-n", NS_LAN, "addr", "add", f"{HOST_LAN}/24", "dev", "host0")
        for namespace, device in (
            (NS_ISP, "isp0"),
            (NS_ROUTER, "wan0"),
            (NS_ROUTER, "lan0"),
            (NS_LAN, "host0"),
        ):
            run("ip", "-n", namespace, "link", "set", device, "up")
        run("ip", "-n", NS_ROUTER, "route", "add", "default", "via", case.gateway)
        run("ip", "-n", NS_LAN, "route", "add", "default", "via", ROUTER_LAN)
        run("sysctl", "-qw", "net.ipv4.ip_forward=1", namespace=NS_ROUTER)
        (self.folder / "router.nft").write_text(ROUTER_RULESET)
        run("nft", "-f", str(self.folder / "router.nft"), namespace=NS_ROUTER)

        stun_host: str | None = None
        if case.ext_ip == "stun":
            stun_host = case.gateway
            self._start("stun", NS_ISP, sys.executable, "-m", "tests.lab.stun", case.gateway, case.stun_other)
        elif case.ext_ip == "upstream-nat":
            # STUN servers "on the internet" behind a filtering carrier NAT that shows them
            # UPSTREAM_PUBLIC: the router learns an address that is not its own.
            for address in INTERNET_STUN:
                run("ip", "-n", NS_ISP, "addr", "add", f"{address}/32", "dev", "lo")
            nat = (
                "table ip prd_upstream_nat {\n  chain input { type nat hook input priority 100; policy accept; "
                f"ip saddr {case.wan_ip} ip daddr {{ {INTERNET_STUN[0]}, {INTERNET_STUN[1]} }} snat to {UPSTREAM_PUBLIC}; }}\n}}\n"
            )
            (self.folder / "isp.nft").write_text(nat)
            run("nft", "-f", str(self.folder / "isp.nft"), namespace=NS_ISP)
            run(
                "ip", "-n", NS_ISP, "route", "add", f"{UPSTREAM_PUBLIC}/32", "via", case.wan_ip, "dev", "isp0"
            )
            stun_host = INTERNET_STUN[0]
            self._start("stun", NS_ISP, sys.executable, "-m", "tests.lab.stun", *INTERNET_STUN)
        if stun_host:
            self._wait_listening(NS_ISP, "u", 3478)

        config = [
            "ext_ifname=wan0",
            "listening_ip=lan0",
            f"http_port={HTTP_PORT}",
            "enable_upnp=yes",
            "enable_natpmp=no",
            "ipv6_disable=yes",
            f"secure_mode={'yes' if secure_mode else 'no'}",
            "system_uptime=no",
            "notify_interval=60",
            "clean_ruleset_interval=0",
            "uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b",
            "friendly_name=Plex Remote Doctor lab router",
            f"lease_file={self.folder / 'upnp.leases'}",
            f"force_igd_desc_v1={'yes' if igd_v1 else 'no'}",
            "allow 1024-65535 192.168.1.0/24 1024-65535",
            "deny 0-65535 0.0.0.0/0 0-65535",
        ]
        if stun_host:
            config += ["ext_perform_stun=yes", f"ext_stun_host={stun_host}", "ext_stun_port=3478"]
        (self.folder / "miniupnpd.conf").write_text("\n".join(config) + "\n")
        self._start(
            "miniupnpd",
            NS_ROUTER,
            "/usr/sbin/miniupnpd",
            "-d",
            "-f",
            str(self.folder / "miniupnpd.conf"),
            "-P",
            str(self.folder / "miniupnpd.pid"),
        )
        # HTTP opens after the STUN round (up to 3 x 3 s when answers are filtered).
        self._wait_listening(NS_ROUTER, "t", HTTP_PORT, timeout=20)
        self.case = case
        return time.monotonic() - start

    def _start(self, name: str, namespace: str, *command: str) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            ["ip", "netns", "exec", namespace, *command],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )

    def _wait_listening(self, namespace: str, protocol: str, port: int, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if run("ss", f"-Hln{protocol}", f"sport = :{port}", namespace=namespace).stdout.strip():
                return
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited: {(self.folder / f'{name}.log').read_text()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"nothing listens on {protocol} {port} in {namespace}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def upnpc(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """miniupnpc from the LAN host, as Plex (or anything on the LAN) would call it."""
        return run("upnpc", "-u", LOCATION, *arguments, namespace=NS_LAN, check=False)

    def renumber_wan(self, cidr: str) -> None:
        """Give the router another WAN address; miniupnpd events it (SIGUSR1 makes sure)."""
        assert self.case is not None
        run("ip", "-n", NS_ROUTER, "addr", "flush", "dev", "wan0")
        run("ip", "-n", NS_ROUTER, "addr", "add", cidr, "dev", "wan0")
        run("ip", "-n", NS_ROUTER, "route", "replace", "default", "via", self.case.gateway)
        time.sleep(0.5)  # a change while the previous NOTIFY is in flight is dropped
        self.nudge()

    def nudge(self) -> None:
        """SIGUSR1: miniupnpd looks at its WAN again and events what it finds."""
        self.processes["miniupnpd"].send_signal(signal.SIGUSR1)

    def wan_down(self, *, keep_address: bool) -> None:
        """The WAN goes down: its link (the address stays on wan0), or its address."""
        if keep_address:
            run("ip", "-n", NS_ROUTER, "link", "set", "wan0", "down")
        else:
            run("ip", "-n", NS_ROUTER, "addr", "flush", "dev", "wan0")

    def wan_up(self) -> None:
        """Link, address and default route as the case set them up."""
        assert self.case is not None
        run("ip", "-n", NS_ROUTER, "link", "set", "wan0", "up")
        run("ip", "-n", NS_ROUTER, "addr", "replace", self.case.wan_cidr, "dev", "wan0")
        run("ip", "-n", NS_ROUTER, "route", "replace", "default", "via", self.case.gateway)

    def down(self) -> None:
        """Stop what this lab started and delete its namespaces."""
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes.clear()
        # miniupnpd forks under "ip netns exec"? No: -d keeps it in front; its pidfile names it.
        existing = run("ip", "netns", "list", check=False).stdout
        for namespace in (NS_ISP, NS_ROUTER, NS_LAN):
            if namespace in existing.split():
                run("ip", "netns", "del", namespace, check=False)
        self.case = None


class InNamespace:
    """Move the calling thread (the test's event loop) into a namespace and back."""

    CLONE_NEWNET = 0x40000000

    def __init__(self, namespace: str) -> None:
        self.path = f"/var/run/netns/{namespace}"

    def __enter__(self) -> InNamespace:
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(self.path, os.O_RDONLY)
        try:
            os.setns(target, self.CLONE_NEWNET)
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc: object) -> None:
        os.setns(self._home, self.CLONE_NEWNET)
        os.close(self._home)


if __name__ == "__main__":
    # script/test: install what the lab needs when it can, then say whether it can run.
    if why_not() is not None and sys.platform == "linux" and os.geteuid() == 0:
        install()
    reason = why_not()
    print(reason or "ready")
    sys.exit(0 if reason is None else 3)
