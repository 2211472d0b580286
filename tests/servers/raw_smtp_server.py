"""A minimal SMTP server on a raw socket that records exactly the bytes it receives, for the wire tests.

aiosmtpd normalises what it hands over; this one does not: each message's DATA bytes (dot-stuffing and all, up to
the first CRLF.CRLF) are written to --out as NNNNNN.eml, and the MAIL FROM and RCPT TO lines as they came, so the
tests can look for bare CR, over-long lines, 8-bit bytes or control characters. EHLO offers SMTPUTF8 and 8BITMIME
only when asked (--smtputf8, --8bitmime). --echo-auth PLAIN,LOGIN,XOAUTH2 offers those AUTH mechanisms and refuses
every attempt with a 535 that quotes what the client sent, raw and base64-decoded (a careless or hostile server
echoing credentials). --refuse VERB:REPLY (repeatable) answers that command with REPLY, in which Python escapes
such as \x1b or \u202e stand for the characters (a hostile relay's reply). Events go to --out/events.jsonl in the format of smtp_server.py.
Run with Debian's /usr/bin/python3; it shares the recorder of smtp_server.py.
"""
import argparse
import base64
import codecs

from smtp_server import Recorder, serve_forever

END_OF_DATA = b"\r\n.\r\n"


def save_message(recorder, data, mail_command, rcpt_commands, peer):
    recorder.save(data, peer=str(peer),
                  mail_command=mail_command.decode("utf-8", "backslashreplace"),
                  rcpt_commands=[r.decode("utf-8", "backslashreplace") for r in rcpt_commands],
                  mail_from=address_of(mail_command), rcpt_tos=[address_of(r) for r in rcpt_commands])


def address_of(command):
    start, end = command.find(b"<"), command.find(b">")
    return command[start + 1:end].decode("utf-8", "backslashreplace") if 0 <= start < end else ""


class Session:
    def __init__(self, conn, peer, args, recorder):
        self.conn, self.peer, self.args, self.recorder = conn, peer, args, recorder
        self.buffer = b""

    def send(self, line):
        self.conn.sendall(line.encode("utf-8") + b"\r\n")

    def read_until(self, marker):
        while marker not in self.buffer:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise ConnectionError("client closed the connection")
            self.buffer += chunk
        index = self.buffer.index(marker)
        found, self.buffer = self.buffer[:index], self.buffer[index + len(marker):]
        return found

    def run(self):
        self.send("220 raw.test ESMTP recorder")
        mail, rcpts = None, []
        while True:
            line = self.read_until(b"\r\n")
            verb = line[:4].upper()
            if verb in self.args.refusals:
                self.send(self.args.refusals[verb])
            elif verb == b"EHLO":
                extensions = ["raw.test", "PIPELINING", "SIZE 104857600"]
                if self.args.eightbitmime or self.args.smtputf8:
                    extensions.append("8BITMIME")
                if self.args.smtputf8:
                    extensions.append("SMTPUTF8")
                if self.args.echo_auth:
                    extensions.append("AUTH " + " ".join(self.args.echo_auth.split(",")))
                for extension in extensions[:-1]:
                    self.send("250-" + extension)
                self.send("250 " + extensions[-1])
            elif verb == b"HELO" or verb == b"NOOP":
                self.send("250 OK")
            elif verb == b"MAIL":
                mail, rcpts = line, []
                self.send("250 2.1.0 OK")
            elif verb == b"RCPT":
                rcpts.append(line)
                self.send("250 2.1.5 OK")
            elif verb == b"DATA":
                self.send("354 End data with <CR><LF>.<CR><LF>")
                data = self.read_until(END_OF_DATA) + b"\r\n"
                save_message(self.recorder, data, mail or b"", rcpts, self.peer)
                mail, rcpts = None, []
                self.send("250 2.0.0 Ok: queued as %d" % self.recorder.count)
            elif verb == b"RSET":
                mail, rcpts = None, []
                self.send("250 OK")
            elif verb == b"AUTH" and self.args.echo_auth:
                self.echo_auth(line)
            elif verb == b"QUIT":
                self.send("221 Bye")
                return
            else:
                self.send("502 5.5.2 Command not recognized")


    def echo_auth(self, line):
        """Collects the whole exchange (initial response or 334 continuations) and refuses it, quoting all of it."""
        parts = line.decode("ascii", "replace").split(" ")
        mechanism = parts[1].upper() if len(parts) > 1 else ""
        received = parts[2:]
        steps = {"LOGIN": 2, "PLAIN": 1, "XOAUTH2": 1}.get(mechanism, 1)
        prompts = ["VXNlcm5hbWU6", "UGFzc3dvcmQ6"] if mechanism == "LOGIN" else [""]
        while len(received) < steps:
            self.send("334 " + prompts[min(len(received), len(prompts) - 1)])
            received.append(self.read_until(b"\r\n").decode("ascii", "replace"))
        decoded = []
        for item in received:
            try:
                decoded.append(base64.b64decode(item, validate=True).decode("utf-8", "replace").replace("\0", " ").replace("\x01", " "))
            except ValueError:
                decoded.append(item)
        self.recorder.event(event="auth-echoed", mechanism=mechanism)
        self.send("535 5.7.8 Authentication failed for AUTH %s %s (decoded: %s)" % (mechanism, " ".join(received), " | ".join(decoded)))


def serve(conn, peer, args, recorder):
    recorder.event(event="connect", peer=str(peer))
    try:
        with conn:
            Session(conn, peer, args, recorder).run()
    except (ConnectionError, OSError):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--mode", choices=["raw"], default="raw")
    parser.add_argument("--smtputf8", action="store_true")
    parser.add_argument("--8bitmime", dest="eightbitmime", action="store_true")
    parser.add_argument("--echo-auth", dest="echo_auth", default="")
    parser.add_argument("--refuse", action="append", default=[])
    args = parser.parse_args()
    args.refusals = {}
    for rule in args.refuse:
        verb, reply = rule.split(":", 1)
        args.refusals[verb.upper().encode("ascii")] = codecs.decode(reply, "unicode_escape")

    recorder = Recorder(args.out)
    serve_forever(args.port, recorder, lambda conn, peer: serve(conn, peer, args, recorder))

if __name__ == "__main__":
    main()
