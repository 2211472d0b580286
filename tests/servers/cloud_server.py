"""Strict local stand-ins for Microsoft Entra ID, the Azure managed-identity endpoint, Google's token endpoint and
Microsoft Graph's mail API, over HTTPS on 127.0.0.1, for the tests. There is no Entra, Graph or Google here.

Each follows the published protocol closely enough that the real client libraries (MSAL, Google.Apis.Auth) talk to
it unchanged, and refuses what the real service refuses:
  POST /{tenant}/oauth2/v2.0/token   client credentials: client_secret, or a client_assertion JWT verified against
                                     the app certificate (RS256/PS256, aud, iss = sub = client id, exp, x5t/x5t#S256);
                                     one '/.default' scope; AADSTS codes as Entra returns them (a client with
                                     "echo": true is refused with its secret quoted)
  GET  /msi/token                    App Service managed identity (X-IDENTITY-HEADER, api-version 2019-08-01,
                                     resource, optional client_id of a user-assigned identity; for the
                                     config's "echo_client_id" it refuses, quoting the X-IDENTITY-HEADER it got)
  POST /google/token                 RFC 7523 JWT-bearer grant signed by the service account key (iss, sub, scope, aud)
  Graph /v1.0/users/{mailbox}/...    sendMail (base64 MIME), messages (draft from MIME), PATCH message,
                                     attachments/createUploadSession, PUT upload URL (no Authorization header
                                     allowed), messages/{id}/send; 401 for a bad or used-up token, 403 for a mailbox
                                     the app may not use (graph "denied"; "echo_token": the 403 quotes the
                                     Authorization header), 429 with Retry-After on demand
                                     (graph "throttle": how many, "retry_after": seconds, default 1)
  config "outage"                    {"entra"|"google"|"managed_identity": status}: that token endpoint answers the
                                     status with an empty body, as an overloaded service does; or {"status": s,
                                     "after": n}: it answers the first n requests as usual, then s
  config "hang"                      {"entra"|"google"|"managed_identity": true}: that token endpoint reads the request
                                     and never answers, as a hung service does
  config "redirect"                  {"entra"|"google"|"managed_identity": url}: that token endpoint answers 307 to url
                                     (the query string kept), as a hostile or misconfigured endpoint might;
                                     "graph": url: every Graph and upload request answers 307 to url + its path
  graph "upload_incomplete"          every upload chunk is answered 200 "nextExpectedRanges": ["0-"]: nothing stored
  graph "upload_gone"                every upload chunk is answered 404, as for an expired upload session
  graph "no_request_id"              Graph's answers carry no request-id header
Access tokens are JWTs signed by this server's own key (--issuer-key), so the SMTP server can check them too. As Entra
does for app-only tokens, they carry the application permissions granted in a "roles" claim: a client's (or the managed
identity's) "roles" list, by default the send permission of the resource (Mail.Send for Graph, SMTP.SendAsApp for
Exchange Online); an empty list leaves the claim out. Graph refuses (403 ErrorAccessDenied) a token without Mail.Send.
A managed identity's "token" replaces the access token it returns (to test what a client does with a broken one).
Everything received is recorded in --out/events.jsonl (never a secret, assertion or token) and each message sent
in --out/NNNNNN.eml, with uploaded attachments next to it. Run with Debian's /usr/bin/python3 (python3-jwt).
"""
import argparse
import base64
import hashlib
import json
import os
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit, unquote

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

MAX_GRAPH_BODY = 4 * 1024 * 1024
UPLOAD_CHUNK_LIMIT = 4 * 1024 * 1024
# Graph takes an attachment posted whole (not through an upload session) only below 3 MB.
DIRECT_ATTACHMENT_LIMIT = 3 * 1024 * 1024
DEFAULT_ROLES = {"https://graph.microsoft.com": ["Mail.Send"], "https://outlook.office365.com": ["SMTP.SendAsApp"]}


class State:
    def __init__(self, config, out):
        self.config = config
        self.out = out
        self.lock = threading.Lock()
        self.events = open(os.path.join(out, "events.jsonl"), "a", encoding="utf-8")
        self.count = 0
        self.token_uses = {}
        self.throttle_left = config.get("graph", {}).get("throttle", 0)
        self.token_requests = {}
        self.drafts = {}
        self.in_flight = {}
        self.uploads = {}
        with open(config["issuer_key"], "rb") as f:
            self.issuer_key = serialization.load_pem_private_key(f.read(), password=None)
        self.app_certificates = {}
        for client in config.get("entra", {}).get("clients", []):
            if client.get("certificate"):
                with open(client["certificate"], "rb") as f:
                    self.app_certificates[client["client_id"]] = x509.load_pem_x509_certificate(f.read())
        google = config.get("google")
        self.google_key = None
        if google:
            with open(google["public_key"], "rb") as f:
                self.google_key = serialization.load_pem_public_key(f.read())

    def event(self, **fields):
        with self.lock:
            self.events.write(json.dumps(fields) + "\n")
            self.events.flush()

    def save(self, mime, **fields):
        with self.lock:
            self.count += 1
            name = os.path.join(self.out, "%06d.eml" % self.count)
        with open(name, "wb") as f:
            f.write(mime)
        self.event(event="message", file=name, **fields)
        return name

    def issue(self, audience, subject, lifetime=3599, roles=None):
        now = int(time.time())
        claims = {"aud": audience, "iss": "https://127.0.0.1/test-issuer", "sub": subject, "appid": subject,
                  "iat": now, "nbf": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}
        roles = DEFAULT_ROLES.get(audience, []) if roles is None else roles
        if roles:
            claims["roles"] = roles
        return jwt.encode(claims, self.issuer_key, algorithm="RS256")


def b64url_thumbprint(certificate, algorithm):
    return base64.urlsafe_b64encode(certificate.fingerprint(algorithm)).rstrip(b"=").decode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    # --- plumbing -------------------------------------------------------------------------------------------
    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, payload=None, headers=None):
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        request_id = str(uuid.uuid4())
        if not self.state.config.get("graph", {}).get("no_request_id"):
            self.send_header("request-id", request_id)
        self.send_header("client-request-id", self.headers.get("client-request-id") or request_id)
        if payload is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return request_id

    def record(self, **fields):
        self.state.event(method=self.command, path=urlsplit(self.path).path,
                         authorization=("Authorization" in self.headers), **fields)

    def aad_error(self, status, error, code, text):
        self.record(event="token-refused", code=code)
        self.reply(status, {"error": error, "error_description": "%s: %s Trace ID: %s" % (code, text, uuid.uuid4()),
                            "error_codes": [int(code[6:])], "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ")})

    def graph_error(self, status, code, message, headers=None):
        self.record(event="graph-refused", status=status, code=code)
        self.reply(status, {"error": {"code": code, "message": message}}, headers)

    def dispatch(self):
        path = urlsplit(self.path).path
        parts = [unquote(p) for p in path.split("/") if p]
        try:
            # config "outage": {"entra"|"google"|"managed_identity": status}: that token endpoint answers with an empty body.
            endpoint = ("entra" if parts[1:] == ["oauth2", "v2.0", "token"] else "managed_identity" if parts == ["msi", "token"]
                        else "google" if parts == ["google", "token"] else None)
            outage = self.state.config.get("outage", {}).get(endpoint)
            if self.state.config.get("hang", {}).get(endpoint):
                self.body()
                self.record(event="token-hang", endpoint=endpoint)
                while True:
                    time.sleep(3600)
            if parts[:1] in (["v1.0"], ["upload"]) and self.state.config.get("redirect", {}).get("graph"):
                self.body()
                self.record(event="graph-redirect")
                return self.reply(307, headers={"Location": self.state.config["redirect"]["graph"] + self.path})
            redirect = self.state.config.get("redirect", {}).get(endpoint)
            if redirect:
                self.body()
                query = urlsplit(self.path).query
                self.record(event="token-redirect", endpoint=endpoint)
                return self.reply(307, headers={"Location": redirect + ("?" + query if query else "")})
            if isinstance(outage, dict):
                with self.state.lock:
                    served = self.state.token_requests[endpoint] = self.state.token_requests.get(endpoint, 0) + 1
                outage = outage["status"] if served > outage["after"] else None
            if outage:
                self.body()  # read, so that the connection stays usable for the next request
                self.record(event="token-outage", endpoint=endpoint, status=outage)
                return self.reply(outage)
            if self.command == "POST" and len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
                return self.entra_token(parts[0])
            if self.command == "GET" and parts == ["msi", "token"]:
                return self.managed_identity_token()
            if self.command == "POST" and parts == ["google", "token"]:
                return self.google_token()
            if self.command == "PUT" and len(parts) == 2 and parts[0] == "upload":
                return self.upload(parts[1])
            if len(parts) >= 4 and parts[0] == "v1.0" and parts[1] == "users":
                return self.graph(parts[2], parts[3:])
            self.record(event="unknown")
            self.reply(404, {"error": {"code": "ResourceNotFound", "message": "No route for " + path}})
        except Exception as ex:  # a bug in the test server must show, not hang the client
            self.state.event(event="server-error", error=repr(ex))
            self.reply(500, {"error": {"code": "TestServerError", "message": repr(ex)}})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = dispatch

    # --- Entra ID v2.0 token endpoint ---------------------------------------------------------------------------
    def entra_token(self, tenant):
        entra = self.state.config["entra"]
        form = {k: v[0] for k, v in parse_qs(self.body().decode()).items()}
        if tenant != entra["tenant"]:
            return self.aad_error(400, "invalid_request", "AADSTS90002", "Tenant '%s' not found." % tenant)
        if form.get("grant_type") != "client_credentials":
            return self.aad_error(400, "unsupported_grant_type", "AADSTS70003", "The app requested an unsupported grant type.")
        client = next((c for c in entra["clients"] if c["client_id"] == form.get("client_id")), None)
        if client is None:
            return self.aad_error(400, "unauthorized_client", "AADSTS700016",
                                  "Application with identifier '%s' was not found in the directory." % form.get("client_id"))
        scopes = form.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return self.aad_error(400, "invalid_scope", "AADSTS1002012", "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.")
        if "client_assertion" in form:
            problem = self.check_assertion(client, form)
            if problem:
                return self.aad_error(401, "invalid_client", "AADSTS700027", "Client assertion failed signature validation (%s)." % problem)
            grant = "certificate"
        elif "client_secret" in form:
            if client.get("echo"):
                # A careless endpoint that quotes the secret it received.
                return self.aad_error(401, "invalid_client", "AADSTS7000215", "Invalid client secret '%s' provided." % form["client_secret"])
            if form["client_secret"] != client.get("secret"):
                return self.aad_error(401, "invalid_client", "AADSTS7000215", "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'." % client["client_id"])
            grant = "secret"
        else:
            return self.aad_error(401, "invalid_client", "AADSTS7000218", "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        resource = scopes[0][: -len("/.default")]
        lifetime = self.state.config.get("token_lifetime", 3599)
        self.record(event="token", grant=grant, scope=scopes[0], client_id=client["client_id"])
        self.reply(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                         "access_token": self.state.issue(resource, client["client_id"], lifetime, client.get("roles"))})

    def check_assertion(self, client, form):
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return "wrong client_assertion_type"
        certificate = self.state.app_certificates.get(client["client_id"])
        if certificate is None:
            return "no certificate registered"
        assertion = form["client_assertion"]
        header = jwt.get_unverified_header(assertion)
        thumbprints = {header.get("x5t"): hashes.SHA1(), header.get("x5t#S256"): hashes.SHA256()}
        if not any(t and t == b64url_thumbprint(certificate, alg) for t, alg in thumbprints.items()):
            return "x5t does not name the registered certificate"
        audience = "https://%s%s" % (self.headers.get("Host"), urlsplit(self.path).path)
        try:
            claims = jwt.decode(assertion, certificate.public_key(), algorithms=["RS256", "PS256"], audience=audience,
                                options={"require": ["exp", "aud", "iss", "sub"]})
        except jwt.PyJWTError as ex:
            return type(ex).__name__
        if claims["iss"] != client["client_id"] or claims["sub"] != client["client_id"]:
            return "iss and sub must be the client id"
        return None

    # --- App Service / Automation managed identity endpoint ---------------------------------------------------
    def managed_identity_token(self):
        mi = self.state.config["managed_identity"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        if self.headers.get("X-IDENTITY-HEADER") != mi["header"]:
            self.record(event="mi-refused", why="header")
            return self.reply(401, {"statusCode": 401, "message": "Unauthorized: X-IDENTITY-HEADER missing or wrong."})
        if query.get("api-version") != "2019-08-01" or not query.get("resource"):
            self.record(event="mi-refused", why="query")
            return self.reply(400, {"statusCode": 400, "message": "api-version 2019-08-01 and resource are required."})
        client_id = query.get("client_id") or mi["system_client_id"]
        if client_id == mi.get("echo_client_id"):
            # A careless endpoint that quotes the request's secret header in its error.
            self.record(event="mi-refused", why="echo")
            return self.reply(400, {"statusCode": 400, "message": "Identity %s with X-IDENTITY-HEADER %s is not allowed here."
                                    % (client_id, self.headers.get("X-IDENTITY-HEADER"))})
        if client_id not in mi["client_ids"] + [mi["system_client_id"]]:
            self.record(event="mi-refused", why="identity")
            return self.reply(400, {"statusCode": 400, "message": "No managed identity with client_id %s is assigned." % client_id})
        self.record(event="token", grant="managed-identity", resource=query["resource"], client_id=client_id,
                    user_assigned=("client_id" in query))
        token = mi.get("token") or self.state.issue(query["resource"], client_id, roles=mi.get("roles"))
        self.reply(200, {"access_token": token,
                         "expires_on": str(int(time.time()) + 3599), "resource": query["resource"],
                         "token_type": "Bearer", "client_id": client_id})

    # --- Google OAuth 2.0 JWT-bearer grant (RFC 7523) -----------------------------------------------------------
    def google_token(self):
        google = self.state.config["google"]
        form = {k: v[0] for k, v in parse_qs(self.body().decode()).items()}
        refuse = lambda why: (self.record(event="token-refused", why=why),
                              self.reply(400, {"error": "invalid_grant", "error_description": why}))
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return refuse("Invalid grant_type.")
        try:
            # Google's assertions name Google's token endpoint as audience, whatever token_uri they are posted to.
            claims = jwt.decode(form.get("assertion", ""), self.state.google_key, algorithms=["RS256"],
                                audience="https://oauth2.googleapis.com/token", options={"require": ["exp", "iat", "aud", "iss"]})
        except jwt.PyJWTError as ex:
            unverified = jwt.decode(form.get("assertion", ""), options={"verify_signature": False})
            return refuse("Invalid JWT Signature (%s, aud %s)." % (type(ex).__name__, unverified.get("aud")))
        if claims["iss"] != google["client_email"] or claims["exp"] - claims["iat"] > 3600:
            return refuse("Invalid JWT: iss or lifetime.")
        if claims.get("sub") not in google["users"]:
            return refuse("Invalid email or User ID")
        if claims.get("scope") != "https://mail.google.com/":
            return refuse("unauthorized_client: Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
        self.record(event="token", grant="google", scope=claims["scope"], sub=claims["sub"])
        self.reply(200, {"access_token": self.state.issue("https://mail.google.com/", claims["sub"]),
                         "expires_in": 3599, "token_type": "Bearer"})

    # --- Microsoft Graph mail --------------------------------------------------------------------------------
    def graph_caller(self):
        """The app a bearer token names, or None after a 401 was sent."""
        value = self.headers.get("Authorization", "")
        if not value.startswith("Bearer "):
            self.graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
            return None
        token = value[len("Bearer "):]
        try:
            claims = jwt.decode(token, self.state.issuer_key.public_key(), algorithms=["RS256"],
                                audience="https://graph.microsoft.com")
        except jwt.PyJWTError:
            self.graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience or signature.")
            return None
        limit = self.state.config["graph"].get("token_max_uses", 0)
        with self.state.lock:
            uses = self.state.token_uses[claims["jti"]] = self.state.token_uses.get(claims["jti"], 0) + 1
        if limit and uses > limit:
            self.graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.",
                             {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return None
        if "Mail.Send" not in claims.get("roles", []):
            self.graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            return None
        return claims

    def graph(self, mailbox, rest):
        # How many requests for one mailbox are being served at once: Graph allows four.
        key = mailbox.lower()
        with self.state.lock:
            self.state.in_flight[key] = self.state.in_flight.get(key, 0) + 1
            concurrent = self.state.in_flight[key]
        try:
            self.state.event(event="graph-request", mailbox=mailbox, concurrent=concurrent)
            time.sleep(self.state.config["graph"].get("delay", 0))
            self.graph_request(mailbox, rest)
        finally:
            with self.state.lock:
                self.state.in_flight[key] -= 1

    def graph_request(self, mailbox, rest):
        graph = self.state.config["graph"]
        body = self.body()
        if self.graph_caller() is None:
            return
        with self.state.lock:
            throttled = self.state.throttle_left > 0
            if throttled:
                self.state.throttle_left -= 1
        if throttled:
            return self.graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                                    {"Retry-After": str(graph.get("retry_after", 1))})
        if mailbox.lower() in [m.lower() for m in graph.get("denied", [])]:
            return self.graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if mailbox.lower() in [m.lower() for m in graph.get("echo_token", [])]:
            # A careless service that quotes the request's bearer token in its error.
            return self.graph_error(403, "ErrorAccessDenied", "Access is denied for %s." % self.headers.get("Authorization"))
        if len(body) > MAX_GRAPH_BODY:
            return self.graph_error(413, "RequestEntityTooLarge", "The maximum request length supported is 4MB.")
        if self.command == "POST" and rest == ["sendMail"]:
            mime = self.mime(body)
            if mime is None:
                return
            self.state.save(mime, mailbox=mailbox, route="sendMail")
            return self.reply(202)
        if self.command == "POST" and rest == ["messages"]:
            mime = self.mime(body)
            if mime is None:
                return
            draft = uuid.uuid4().hex
            self.state.drafts[draft] = {"mailbox": mailbox, "mime": mime, "attachments": [], "patch": None}
            self.record(event="draft", id=draft, mailbox=mailbox)
            return self.reply(201, {"id": draft, "isDraft": True})
        if len(rest) >= 2 and rest[0] == "messages" and rest[1] in self.state.drafts:
            return self.draft_action(self.state.drafts[rest[1]], rest[1], rest[2:], body)
        self.graph_error(400, "BadRequest", "Unsupported request %s %s." % (self.command, "/".join(rest)))

    def mime(self, body):
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "text/plain":
            self.graph_error(415, "ErrorMimeContentInvalid", "MIME content must be posted as text/plain.")
            return None
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            self.graph_error(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.")
            return None

    def draft_action(self, draft, draft_id, rest, body):
        if self.command == "PATCH" and rest == []:
            draft["patch"] = json.loads(body)
            self.record(event="patch", id=draft_id, patch=draft["patch"])
            return self.reply(200, {"id": draft_id})
        if self.command == "POST" and rest == ["attachments", "createUploadSession"]:
            item = json.loads(body)["AttachmentItem"]
            if item.get("attachmentType") != "file" or not item.get("name") or int(item.get("size", 0)) <= 0:
                return self.graph_error(400, "BadRequest", "AttachmentItem needs attachmentType file, name and size.")
            session = uuid.uuid4().hex
            path = os.path.join(self.state.out, "upload-%s.bin" % session)
            open(path, "wb").close()
            self.state.uploads[session] = {"item": item, "path": path, "received": 0, "draft": draft}
            self.record(event="upload-session", id=draft_id, name=item["name"], size=item["size"])
            host = self.headers.get("Host")
            return self.reply(201, {"uploadUrl": "https://%s/upload/%s?authtoken=%s" % (host, session, uuid.uuid4().hex),
                                    "expirationDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600)),
                                    "nextExpectedRanges": ["0-"]})
        if self.command == "POST" and rest == ["attachments"]:
            item = json.loads(body)
            content = base64.b64decode(item.get("contentBytes") or "", validate=True)
            if item.get("@odata.type") != "#microsoft.graph.fileAttachment" or not item.get("name") or "contentBytes" not in item:
                return self.graph_error(400, "BadRequest", "A fileAttachment needs @odata.type, name and contentBytes.")
            if len(content) >= DIRECT_ATTACHMENT_LIMIT:
                return self.graph_error(413, "RequestEntityTooLarge", "Attachments of 3 MB or more go through an upload session.")
            path = os.path.join(self.state.out, "attachment-%s.bin" % uuid.uuid4().hex)
            with open(path, "wb") as f:
                f.write(content)
            draft["attachments"].append({"item": item, "path": path, "received": len(content)})
            self.record(event="attachment", id=draft_id, name=item["name"], size=len(content))
            return self.reply(201, {"id": uuid.uuid4().hex, "name": item["name"], "size": len(content)})
        if self.command == "DELETE" and rest == []:
            del self.state.drafts[draft_id]
            self.record(event="draft-deleted", id=draft_id)
            return self.reply(204)
        if self.command == "POST" and rest == ["send"]:
            name = self.state.save(draft["mime"], mailbox=draft["mailbox"], route="draft", patch=draft["patch"],
                                   attachments=[{"name": a["item"]["name"], "file": a["path"], "size": a["received"],
                                                 "isInline": a["item"].get("isInline", False),
                                                 "contentId": a["item"].get("contentId")} for a in draft["attachments"]])
            del self.state.drafts[draft_id]
            return self.reply(202)
        self.graph_error(400, "BadRequest", "Unsupported draft request.")

    def upload(self, session_id):
        session = self.state.uploads.get(session_id)
        body = self.body()
        self.record(event="upload", session=session_id, length=len(body), range=self.headers.get("Content-Range"))
        if "Authorization" in self.headers:
            # Graph: the upload URL carries its own token; a bearer token here is refused.
            return self.graph_error(401, "InvalidAuthenticationToken", "Do not send an Authorization header to an upload URL.")
        if session is None or self.state.config["graph"].get("upload_gone"):
            return self.graph_error(404, "ItemNotFound", "The upload session does not exist.")
        if len(body) > UPLOAD_CHUNK_LIMIT:
            return self.graph_error(413, "RequestEntityTooLarge", "Upload chunks must be at most 4 MB.")
        total = int(session["item"]["size"])
        expected = "bytes %d-%d/%d" % (session["received"], session["received"] + len(body) - 1, total)
        if self.headers.get("Content-Range") != expected:
            return self.graph_error(416, "InvalidRange", "Expected Content-Range %s." % expected)
        if self.state.config["graph"].get("upload_incomplete"):
            return self.reply(200, {"expirationDateTime": "", "nextExpectedRanges": ["0-"]})
        with open(session["path"], "ab") as f:
            f.write(body)
        session["received"] += len(body)
        if session["received"] < total:
            return self.reply(200, {"expirationDateTime": "", "nextExpectedRanges": ["%d-" % session["received"]]})
        session["draft"]["attachments"].append(session)
        del self.state.uploads[session_id]
        self.reply(201)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as f:
        config = json.load(f)
    out = config["out"]
    os.makedirs(out, exist_ok=True)
    Handler.state = State(config, out)
    server = ThreadingHTTPServer(("127.0.0.1", config["port"]), Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config["cert"], config["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    Handler.state.event(event="ready")
    server.serve_forever()


if __name__ == "__main__":
    main()
