"""Evaluates SPF with pyspf (Debian's python3-spf), an implementation that is not the module's, against the test DNS
server: for each client address, check_host(ip, domain, postmaster@domain) as a receiver would. Prints one JSON object
per address: {"ip": ..., "result": "pass" | "fail" | "softfail" | "neutral" | "none" | "permerror" | "temperror"}."""
import argparse
import json

import dns.resolver
import spf


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--server', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--domain', required=True)
    parser.add_argument('addresses', nargs='+')
    args = parser.parse_args()

    # Only the test server is asked: no /etc/resolv.conf, no other resolver.
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [args.server]
    resolver.port = args.port
    dns.resolver.default_resolver = resolver
    for address in args.addresses:
        result, _, explanation = spf.check(i=address, s='postmaster@' + args.domain, h=args.domain)
        print(json.dumps({'ip': address, 'result': result, 'explanation': explanation}))


if __name__ == '__main__':
    main()
