"""An SMTP server that misbehaves on purpose, on a raw socket: what aiosmtpd cannot be made to do.

Modes (--mode):
  silent         accepts connections and never says a word (a hung relay: no greeting)
  slow           a correct server whose every reply comes --delay seconds late (each within the client's timeout)
  stall-at-mail  greets and answers EHLO, then never answers MAIL FROM (a relay that hangs mid-session)
  close-in-data  takes the message data, then closes the connection before the final reply
  hang-after-data  takes the whole message (its final dot), records it, and never replies (a content filter slower than the client)
  drip           a correct server that sends every reply one byte at a time, --delay seconds apart (a tarpit)
  flood-line     greets with '220 ' and then sends 'A' for ever, never ending the line (an endless reply)
  flood-lines    greets with endless '220-AAAA...' continuation lines, as fast as the client reads them
  drip-lines     greets with endless '220-waiting' continuation lines, one every --delay seconds (each line in time, the reply never complete)
  http           not an SMTP server: answers the connection like a web server ("HTTP/1.1 400 Bad Request")
  tls-alert      not a plain-text server: sends a TLS alert record as soon as a client connects
  by-subject     a correct server, except for a message whose Subject holds "drop-after-data" (it takes the whole
                 message, then closes without a reply) or "close-in-data" (it resets the connection as soon as it reads
                 that Subject line, so a large message is cut off before its final dot): faults of one message, not of the relay
Every connection, command and message is recorded in --out/events.jsonl, so tests count what the server saw.
Run with Debian's /usr/bin/python3.
"""
import argparse
import socket
import struct
import time

from smtp_server import Recorder, serve_forever


def serve(conn, peer, args, recorder):
    recorder.event(event="connect", peer=str(peer))
    reader = conn.makefile("rb")

    def reply(text):
        if args.mode == "slow":
            time.sleep(args.delay)
        if args.mode == "drip":
            for byte in (text + "\r\n").encode():
                conn.sendall(bytes([byte]))
                time.sleep(args.delay)
            return
        conn.sendall((text + "\r\n").encode())

    if args.mode == "http":
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return
    if args.mode == "tls-alert":
        # A TLS 1.2 alert record: fatal (2), handshake_failure (40).
        conn.sendall(bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]))
        while reader.readline():
            pass
        return
    if args.mode in ("flood-line", "flood-lines", "drip-lines"):
        flood(conn, args)
        return
    if args.mode == "silent":
        while reader.readline():
            pass
        return
    reply("220 misbehaving.test ESMTP")
    rcpt_tos = []
    while True:
        line = reader.readline()
        if not line:
            return
        command = line.decode(errors="replace").strip()
        verb = command.split(" ", 1)[0].upper()
        recorder.event(event="command", peer=str(peer), command=command)
        if verb in ("EHLO", "HELO"):
            reply("250-misbehaving.test\r\n250 8BITMIME")
        elif verb == "MAIL":
            if args.mode == "stall-at-mail":
                while reader.readline():
                    pass
                return
            rcpt_tos = []
            reply("250 2.1.0 Ok")
        elif verb == "RCPT":
            rcpt_tos.append(command.split(":", 1)[1].strip().strip("<>"))
            reply("250 2.1.5 Ok")
        elif verb == "DATA":
            reply("354 End data with <CR><LF>.<CR><LF>")
            size = 0
            subject = ""
            while True:
                data = reader.readline()
                if not data or data in (b".\r\n", b".\n"):
                    break
                if not subject and data.lower().startswith(b"subject:"):
                    subject = data[8:].decode(errors="replace").strip()
                    if args.mode == "by-subject" and "close-in-data" in subject:
                        recorder.event(event="closed-in-data", peer=str(peer), rcpt_tos=rcpt_tos, subject=subject)
                        # A reset, not an orderly close: the client, still writing the message, fails at once.
                        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        return
                size += len(data)
            if args.mode == "by-subject" and "drop-after-data" in subject:
                recorder.event(event="dropped-after-data", peer=str(peer), rcpt_tos=rcpt_tos, subject=subject)
                return
            if args.mode == "close-in-data":
                recorder.event(event="closed-in-data", peer=str(peer), rcpt_tos=rcpt_tos)
                return
            recorder.event(event="message", peer=str(peer), rcpt_tos=rcpt_tos, size=size, subject=subject)
            if args.mode == "hang-after-data":
                while reader.readline():
                    pass
                return
            reply("250 2.0.0 Ok: queued")
        elif verb == "RSET" or verb == "NOOP":
            reply("250 2.0.0 Ok")
        elif verb == "QUIT":
            reply("221 2.0.0 Bye")
            return
        else:
            reply("502 5.5.2 Error: command not recognized")


def flood(conn, args):
    """One greeting that never ends, until the client gives up and closes the connection."""
    if args.mode == "flood-line":
        conn.sendall(b"220 ")
        chunk = b"A" * 65536
    elif args.mode == "flood-lines":
        chunk = (b"220-" + b"A" * 1000 + b"\r\n") * 64
    else:
        chunk = b"220-waiting\r\n"
    while True:
        conn.sendall(chunk)
        if args.mode == "drip-lines":
            time.sleep(args.delay)


def handle(conn, peer, args, recorder):
    try:
        serve(conn, peer, args, recorder)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", choices=["silent", "slow", "stall-at-mail", "close-in-data", "hang-after-data", "drip", "by-subject", "http", "tls-alert", "flood-line", "flood-lines", "drip-lines"], required=True)
    parser.add_argument("--delay", type=float, default=0.5)
    args = parser.parse_args()

    recorder = Recorder(args.out)
    serve_forever(args.port, recorder, lambda conn, peer: handle(conn, peer, args, recorder))

if __name__ == "__main__":
    main()
