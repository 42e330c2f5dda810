"""Sends fixed queries to a DNS server and prints each query and answer as hex (see capture.sh)."""
import socket
import struct
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])


def name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query(qid, qname, qtype, edns=True, rd=False):
    flags = 0x0100 if rd else 0x0000
    arcount = 1 if edns else 0
    packet = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, arcount) + name(qname) + struct.pack(">HH", qtype, 1)
    if edns:
        # OPT: root name, type 41, UDP payload size 1232, extended rcode 0, version 0, flags 0, no options.
        packet += b"\x00" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return packet


def udp(packet):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(packet, (HOST, PORT))
        return s.recvfrom(65535)[0]


def tcp(packet):
    with socket.create_connection((HOST, PORT), timeout=2) as s:
        s.sendall(struct.pack(">H", len(packet)) + packet)
        data = b""
        while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
            chunk = s.recv(65535)
            if not chunk:
                break
            data += chunk
        return data[2:]


CASES = [
    ("txtApex", 0x1A2B, "example.test", 16, True, udp),
    ("soaApex", 0x0001, "example.test", 6, True, udp),
    ("nsApex", 0x0002, "example.test", 2, True, udp),
    ("aNS1", 0x0003, "ns1.example.test", 1, True, udp),
    ("aaaaNS1", 0x0004, "ns1.example.test", 28, True, udp),
    ("txtAlias", 0x0005, "alias.example.test", 16, True, udp),
    ("txtOutsideCNAME", 0x0006, "outside.example.test", 16, True, udp),
    ("txtNXDomain", 0x0007, "nope.example.test", 16, True, udp),
    ("txtNoData", 0x0008, "ns2.example.test", 16, True, udp),
    ("txtLongUDPNoEDNS", 0x0009, "long.example.test", 16, False, udp),
    ("txtLongTCP", 0x000A, "long.example.test", 16, False, tcp),
    ("txtRefused", 0x000B, "other.invalid", 16, True, udp),
    ("soaSubdomain", 0x000C, "deep.sub.example.test", 6, True, udp),
]

for label, qid, qname, qtype, edns, transport in CASES:
    packet = query(qid, qname, qtype, edns)
    answer = transport(packet)
    print(f"{label} query {packet.hex()}")
    print(f"{label} answer {answer.hex()}")
