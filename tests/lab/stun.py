"""A tiny STUN Binding server (RFC 5389 answers, RFC 5780 CHANGE-REQUEST honoured).

miniupnpd treats every RFC 1918, 100.64/10 and TEST-NET WAN address as reserved and
refuses to report it, unless STUN confirms it; it sends four Binding Requests (plain,
change port, change IP, both) and expects four answers. So this listens on two
addresses and two ports. It only ever answers the source of a request it received.

usage: python -m tests.lab.stun PRIMARY_IP OTHER_IP
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import sys

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST, BINDING_RESPONSE = 0x0001, 0x0101
CHANGE_REQUEST = 0x0003
MAPPED_ADDRESS, XOR_MAPPED_ADDRESS = 0x0001, 0x0020
RESPONSE_ORIGIN, OTHER_ADDRESS = 0x802B, 0x802C
CHANGE_IP, CHANGE_PORT = 0x4, 0x2
PORTS = (3478, 3479)


def address_attribute(kind: int, ip: str, port: int) -> bytes:
    return struct.pack("!HHBBH4s", kind, 8, 0, 1, port, socket.inet_aton(ip))


def answer(
    request: bytes, peer: tuple[str, int], local: tuple[str, int], other_ip: str
) -> tuple[bytes, tuple[str, int]] | None:
    """The response to one request, and the (ip, port) it must leave from."""
    if len(request) < 20:
        return None
    kind, length, cookie = struct.unpack("!HHI", request[:8])
    if kind != BINDING_REQUEST:
        return None
    change, position = 0, 20
    while position + 4 <= min(len(request), 20 + length):
        attribute, size = struct.unpack("!HH", request[position : position + 4])
        if attribute == CHANGE_REQUEST and size == 4:
            change = struct.unpack("!I", request[position + 4 : position + 8])[0]
        position += 4 + size + (-size % 4)
    ip = other_ip if change & CHANGE_IP else local[0]
    port = (PORTS[1] if local[1] == PORTS[0] else PORTS[0]) if change & CHANGE_PORT else local[1]
    xor_ip = struct.unpack("!I", socket.inet_aton(peer[0]))[0] ^ MAGIC_COOKIE
    attributes = address_attribute(MAPPED_ADDRESS, peer[0], peer[1])
    attributes += struct.pack("!HHBBHI", XOR_MAPPED_ADDRESS, 8, 0, 1, peer[1] ^ (MAGIC_COOKIE >> 16), xor_ip)
    attributes += address_attribute(RESPONSE_ORIGIN, ip, port)
    attributes += address_attribute(OTHER_ADDRESS, other_ip if ip == local[0] else local[0], PORTS[1])
    return struct.pack("!HHI", BINDING_RESPONSE, len(attributes), cookie) + request[8:20] + attributes, (
        ip,
        port,
    )


def serve(primary: str, other: str) -> None:
    selector = selectors.DefaultSelector()
    sockets = {}
    for ip in (primary, other):
        for port in PORTS:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((ip, port))
            sockets[(ip, port)] = sock
            selector.register(sock, selectors.EVENT_READ, (ip, port))
    print(f"stun on {primary},{other}", flush=True)
    while True:
        for key, _events in selector.select():
            request, peer = key.fileobj.recvfrom(2048)  # type: ignore[union-attr]
            reply = answer(request, peer, key.data, other if key.data[0] == primary else primary)
            if reply is not None:
                # No way back through an emulated upstream NAT is an OSError: as on the internet.
                with contextlib.suppress(OSError):
                    sockets[reply[1]].sendto(reply[0], peer)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
