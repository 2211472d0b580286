"""A DNS server on 127.0.0.1 that passes queries on to the test dnsmasq and misbehaves for TXT queries of chosen names,
in ways dnsmasq never does. The first label under the name's zone says how (the name is the query's, lower case):
  *.xid.test      -> the reply carries another query's ID
  *.garbage.test  -> the reply's answer is a compression pointer that points at itself (a loop)
  drop.test       -> no reply to the TXT query for drop.test itself (one lost query; every other query is answered)
and, as a strict server does, it never answers a query whose question does not parse as A, AAAA, MX or TXT (a name
with an empty label, sent as is, ends early and leaves the rest of the name where the type should be).
Usage: misbehaving_dns_server.py --port N --upstream-port M [--out DIR --mode by-name] (tests/smtp.ps1's
Start-TestServerProcess passes --out and --mode); prints 'ready' once it listens, then 'query <name> <type>' for each
query it gets, and serves until killed."""
import argparse
import socket
import struct
import sys


def question_name(packet):
    labels, at = [], 12
    while packet[at]:
        length = packet[at]
        labels.append(packet[at + 1:at + 1 + length].decode('ascii', 'replace').lower())
        at += 1 + length
    qtype = struct.unpack('>H', packet[at + 1:at + 3])[0]
    return '.'.join(labels), qtype, at + 5


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--upstream-port', type=int, required=True)
    parser.add_argument('--out')
    parser.add_argument('--mode', choices=['by-name'], default='by-name')
    args = parser.parse_args()
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(('127.0.0.1', args.port))
    print('ready', flush=True)
    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    upstream.settimeout(5)
    txt = 16
    while True:
        query, client = server.recvfrom(4096)
        name, qtype, end = question_name(query)
        print(f'query {name} {qtype}', flush=True)
        if qtype not in (1, 28, 15, txt) or qtype == txt and name == 'drop.test':
            continue
        if qtype == txt and name.endswith('.garbage.test'):
            # Header (one question, one answer), the question, then an answer whose name points at itself.
            header = query[:2] + b'\x81\x80' + b'\x00\x01\x00\x01\x00\x00\x00\x00'
            pointer = 0xC000 | end
            server.sendto(header + query[12:end] + struct.pack('>H', pointer) + b'\x00\x10\x00\x01\x00\x00\x00\x3c\x00\x00', client)
            continue
        upstream.sendto(query, ('127.0.0.1', args.upstream_port))
        try:
            reply = upstream.recv(4096)
        except socket.timeout:
            continue
        if qtype == txt and name.endswith('.xid.test'):
            reply = struct.pack('>H', struct.unpack('>H', reply[:2])[0] ^ 0x5A5A) + reply[2:]
        server.sendto(reply, client)


if __name__ == '__main__':
    sys.exit(main())
