"""Checks the DKIM signature of one message with dkimpy (Debian's python3-dkim), an implementation other than MimeKit's.

The public key comes from a file holding the TXT record text, served through dkimpy's dnsfunc hook only for the name
the signature must point at (selector._domainkey.domain), so no DNS is ever asked. Prints one JSON line: the verdict,
what dkimpy looked up and the signature's tags. Exit code 0 when the signature verifies, 1 when it does not.
Run with Debian's /usr/bin/python3.
"""
import argparse
import json
import sys

import dkim


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("message", help="the message file as received")
    parser.add_argument("--record", required=True, help="file with the DNS TXT record text (v=DKIM1; k=...; p=...)")
    parser.add_argument("--name", required=True, help="the DNS name the record lives at")
    args = parser.parse_args()

    with open(args.message, "rb") as f:
        message = f.read()
    with open(args.record, "rb") as f:
        record = f.read().strip()

    asked = []

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        asked.append(name)
        return record if name.rstrip(".").lower() == args.name.lower() else None

    verifier = dkim.DKIM(message)
    try:
        ok = bool(verifier.verify(dnsfunc=dnsfunc))
        error = None
    except dkim.DKIMException as ex:
        ok, error = False, str(ex)
    tags = {}
    if verifier.signature_fields:
        tags = {k.decode(): v.decode(errors="replace") for k, v in verifier.signature_fields.items() if k != b"b"}
    print(json.dumps({"ok": ok, "error": error, "asked": asked, "tags": tags}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
