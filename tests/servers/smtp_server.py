"""A real SMTP server (Debian's aiosmtpd) for the tests, with the behaviours they need switched on by flags.

Every received message is written to --out as NNNNNN.eml, and every connection and message is recorded in
--out/events.jsonl, so tests count what the server really got. Run with Debian's /usr/bin/python3.
"""
import argparse
import base64
import collections
import json
import os
import signal
import socket
import ssl
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, folder):
        self.folder = folder
        self.lock = threading.Lock()
        self.count = 0
        self.ready = False
        os.makedirs(folder, exist_ok=True)
        self.events = open(os.path.join(folder, "events.jsonl"), "a", encoding="utf-8")

    def event(self, **fields):
        with self.lock:
            self.events.write(json.dumps(fields) + "\n")
            self.events.flush()

    def message(self, envelope, peer):
        self.save(envelope.original_content or envelope.content, mail_from=envelope.mail_from, rcpt_tos=envelope.rcpt_tos,
                  peer=str(peer), mail_options=envelope.mail_options, rcpt_options=envelope.rcpt_options)

    def save(self, data, **fields):
        """Writes one received message as NNNNNN.eml (complete before it gets its name) and its event."""
        with self.lock:
            self.count += 1
            name = os.path.join(self.folder, "%06d.eml" % self.count)
        with open(name + ".tmp", "wb") as f:
            f.write(data)
        os.replace(name + ".tmp", name)
        self.event(event="message", file=name, **fields)


def serve_forever(port, recorder, handle, backlog=64):
    """A raw-socket server's accept loop (raw_smtp_server.py, misbehaving_smtp_server.py): one thread per connection."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(backlog)
    recorder.event(event="ready")
    while True:
        conn, peer = listener.accept()
        threading.Thread(target=handle, args=(conn, peer), daemon=True).start()


class Handler:
    def __init__(self, args, recorder):
        self.args = args
        self.recorder = recorder
        self.tempfails_left = args.tempfail_data
        self.tokens_seen = 0
        self.lock = threading.Lock()
        # --tempfail-rcpt PREFIX:N[:CODE]: the first N RCPT TO for addresses starting with PREFIX get CODE (450).
        self.rcpt_tempfails = []
        for spec in args.tempfail_rcpt:
            prefix, count, *code = spec.split(":")
            self.rcpt_tempfails.append({"prefix": prefix.lower(), "left": int(count), "code": int(code[0]) if code else 450})

    def temporary_refusal(self, address):
        with self.lock:
            for rule in self.rcpt_tempfails:
                if address.lower().startswith(rule["prefix"]) and rule["left"] > 0:
                    rule["left"] -= 1
                    return rule["code"]
        return None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.args.mail_reply:
            # Exchange Online refusing a From address the mailbox may not send as (5.7.60 SendAsDenied), say.
            return self.args.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.rcpt_limit and len(envelope.rcpt_tos) >= self.args.rcpt_limit:
            # Postfix's smtpd_recipient_limit: the rest go in another transaction (RFC 5321 4.5.3.1.10).
            self.recorder.event(event="rcpt", address=address, code=452)
            return "452 4.5.3 Error: too many recipients"
        if any(address.lower().startswith(prefix.lower()) for prefix in self.args.reject_rcpt):
            self.recorder.event(event="rcpt", address=address, code=550)
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        code = self.temporary_refusal(address)
        if code:
            self.recorder.event(event="rcpt", address=address, code=code)
            return "%d 4.2.1 <%s>: Mailbox busy, try again later" % (code, address)
        self.recorder.event(event="rcpt", address=address, code=250)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.tempfails_left > 0:
                self.tempfails_left -= 1
                self.recorder.event(event="tempfail")
                return "451 4.3.0 Temporary failure, try again later"
        self.recorder.message(envelope, session.peer)
        return "250 2.0.0 Ok: queued as %d" % self.recorder.count

    async def auth_XOAUTH2(self, server, args):
        # RFC-less but widely used: base64("user=" user "\x01auth=Bearer " token "\x01\x01")
        try:
            if len(args) > 1:
                decoded = base64.b64decode(args[1]).decode()
            else:
                # Without an initial response: a 334, and aiosmtpd hands back the answer already base64-decoded.
                decoded = (await server.challenge_auth("")).decode()
            parts = dict(p.split("=", 1) for p in decoded.split("\x01") if p)
            ok = parts.get("user") == self.args.oauth_user and self.token_valid(parts.get("auth", ""))
        except Exception:
            ok = False
        self.recorder.event(event="auth", mechanism="XOAUTH2", success=ok, initial_response=len(args) > 1)
        return AuthResult(success=ok, handled=False)


    def token_valid(self, auth):
        if not auth.startswith("Bearer "):
            return False
        token = auth[len("Bearer "):]
        if not self.args.oauth_issuer_key:
            return token == self.args.oauth_token
        # A token from the test token server (servers/cloud_server.py): its signature, audience and expiry.
        import jwt
        with open(self.args.oauth_issuer_key, "rb") as f:
            key = f.read()
        with self.lock:
            self.tokens_seen += 1
            if self.tokens_seen <= self.args.oauth_refuse_first:
                self.recorder.event(event="auth-refused-on-purpose")
                return False
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=self.args.oauth_audience)
        except jwt.PyJWTError:
            return False
        # Exchange Online takes an app token for SMTP AUTH only with the SMTP.SendAsApp application permission.
        if self.args.oauth_audience == "https://outlook.office365.com" and "SMTP.SendAsApp" not in claims.get("roles", []):
            self.recorder.event(event="auth-refused-role")
            return False
        return True


class RecordingSMTP(SMTP):
    recorder = None
    # An AUTH XOAUTH2 line with a JWT is longer than RFC 5321's 512 octets; Exchange and Gmail take it.
    command_size_limit = 16384
    line_length_limit = 16384
    command_size_limits = collections.defaultdict(lambda: 16384)

    def connection_made(self, transport):
        if self.recorder.ready:
            # After STARTTLS aiosmtpd starts a new protocol on the same socket: the peer tells connections apart.
            self.recorder.event(event="connect", peer=str(transport.get_extra_info("peername")))
        super().connection_made(transport)


class RecordingController(Controller):
    def __init__(self, handler, recorder, strict_command_length=False, **kwargs):
        self.recorder = recorder
        self.strict_command_length = strict_command_length
        super().__init__(handler, **kwargs)

    def factory(self):
        RecordingSMTP.recorder = self.recorder
        smtp = RecordingSMTP(self.handler, **self.SMTP_kwargs)
        if self.strict_command_length:
            # RFC 5321's 512 octets per command line, as aiosmtpd has by default: a longer one gets "500 Command line too long".
            smtp.command_size_limit = 512
            smtp.command_size_limits = collections.defaultdict(lambda: 512)
        return smtp

    def _trigger_server(self):
        # With implicit TLS the readiness probe of aiosmtpd would need a TLS handshake; a TCP connect is enough here.
        if self.ssl_context:
            with socket.create_connection((self.hostname, self.port), timeout=5):
                pass
        else:
            super()._trigger_server()


def hang_forever(host, port):
    """A server that accepts connections and never says a word: what a hung relay looks like."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(50)
    held = []
    while True:
        conn, _ = listener.accept()
        held.append(conn)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--mode", choices=["plain", "starttls", "implicit", "hang"], default="plain")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--oauth-user")
    parser.add_argument("--oauth-token")
    parser.add_argument("--oauth-issuer-key", help="accept JWT access tokens signed by this public key instead of --oauth-token")
    parser.add_argument("--oauth-audience", help="with --oauth-issuer-key: the audience the token must name")
    parser.add_argument("--oauth-refuse-first", type=int, default=0, help="refuse the first N tokens (a token revoked early)")
    parser.add_argument("--password-auth-reply", help="refuse every password with this reply, such as 535 5.7.139 ...")
    parser.add_argument("--mail-reply", help="refuse every MAIL FROM with this reply")
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--tempfail-data", type=int, default=0)
    parser.add_argument("--tempfail-rcpt", action="append", default=[])
    parser.add_argument("--strict-command-length", action="store_true", help="command lines of 512 octets at most (RFC 5321)")
    parser.add_argument("--rcpt-limit", type=int, default=0, help="refuse RCPT TO past this many in one transaction (452 4.5.3)")
    parser.add_argument("--smtputf8", action="store_true")
    args = parser.parse_args()

    if args.mode == "hang":
        hang_forever("127.0.0.1", args.port)
        return

    recorder = Recorder(args.out)
    handler = Handler(args, recorder)
    kwargs = {"hostname": "127.0.0.1", "port": args.port, "enable_SMTPUTF8": args.smtputf8,
              "data_size_limit": 200 * 1024 * 1024}

    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    if args.mode == "starttls":
        kwargs["tls_context"] = context
    elif args.mode == "implicit":
        kwargs["ssl_context"] = context

    auth_methods = []
    if args.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and \
                auth_data.login.decode() == args.user and auth_data.password.decode() == args.password
            recorder.event(event="auth", mechanism=mechanism, success=ok)
            if args.password_auth_reply:
                # What Exchange Online answers a password once basic authentication is retired.
                return AuthResult(success=False, handled=False, message=args.password_auth_reply)
            return AuthResult(success=ok, handled=False)
        kwargs["authenticator"] = authenticator
        auth_methods = ["PLAIN", "LOGIN"]
    if args.oauth_user:
        if not args.user:
            kwargs["authenticator"] = lambda *a: AuthResult(success=False, handled=False)
        auth_methods.append("XOAUTH2")
    if auth_methods:
        kwargs["auth_require_tls"] = False
    kwargs["auth_exclude_mechanism"] = [m for m in ["PLAIN", "LOGIN", "XOAUTH2"] if m not in auth_methods]

    controller = RecordingController(handler, recorder, strict_command_length=args.strict_command_length, **kwargs)
    controller.start()
    recorder.ready = True
    recorder.event(event="ready")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    while not stop.is_set():
        time.sleep(0.2)
    controller.stop()


if __name__ == "__main__":
    main()
