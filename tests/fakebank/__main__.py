"""Run the fake Monzo bank as a process.

    PYTHONPATH=tests python3 -m fakebank [--host 127.0.0.1] [--port 0] [--seed 1]
        [--transactions N] [--anchor YYYY-MM-DD] [--write-tokens PATH]
        [--world NAME] [--latency S] [--jitter S] [--latency-endpoint NAME]
        [--rate-limit-in-flight K] [--rate-limit-per-second R] [--retry-after S]
        [--verbose]

Prints the port alone on the first line of stdout once it is serving, then runs until
SIGINT or SIGTERM and exits 0. GET /_fake/info gives the client id and secret, the
user and account ids; see server.py for the rest of the /_fake/ control API.
--world NAME serves one of the bank's less friendly days (bank.WORLDS, FakeBank.world);
POST /_fake/world {"name": NAME or null} changes it later.
--latency S (plus up to --jitter S more) delays each API request, or only those to
--latency-endpoint NAME (e.g. transactions), as a real bank's round trip would.
--rate-limit-in-flight K and --rate-limit-per-second R answer 429 with
"Retry-After: S" (--retry-after, default 1) above K requests at once or R a second.
POST /_fake/latency and /_fake/rate_limit change them later; GET /_fake/traffic says
how many requests were in flight at most, over how many connections, and how many
429s were sent.
"""

import argparse
import signal
import sys
import threading

from .bank import ENDPOINTS, WORLDS, FakeBank


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="fakebank", description="A fake Monzo API on loopback.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--transactions", type=int, default=None,
                    help="transactions in the main uk_retail account (default 400)")
    ap.add_argument("--anchor", default=None,
                    help="date the generated history ends at (default: today, UTC)")
    ap.add_argument("--write-tokens", metavar="PATH", default=None,
                    help="mint an approved token and write it to PATH in monzoh's format")
    ap.add_argument("--token-lifetime", type=int, default=None, metavar="SECONDS")
    ap.add_argument("--approve-after-polls", type=int, default=None, metavar="N")
    ap.add_argument("--world", choices=WORLDS, default=None,
                    help="answer as the bank on one of its less friendly days")
    ap.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                    help="each API request waits this long before its answer")
    ap.add_argument("--jitter", type=float, default=0.0, metavar="SECONDS",
                    help="plus up to this much more, drawn for each request")
    ap.add_argument("--latency-endpoint", choices=ENDPOINTS, default=None, metavar="NAME",
                    help="delay only the requests to this endpoint (e.g. transactions)")
    ap.add_argument("--rate-limit-in-flight", type=int, default=None, metavar="K",
                    help="answer 429 to a request that finds K others in flight")
    ap.add_argument("--rate-limit-per-second", type=float, default=None, metavar="R",
                    help="answer 429 above R requests in a second")
    ap.add_argument("--retry-after", type=int, default=1, metavar="SECONDS",
                    help="the Retry-After of those 429s (default 1)")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    bank = FakeBank(seed=args.seed, transactions=args.transactions, anchor=args.anchor,
                    verbose=args.verbose)
    if args.token_lifetime is not None:
        bank.token_lifetime = args.token_lifetime
    if args.approve_after_polls is not None:
        bank.approve_after_polls = args.approve_after_polls
    if args.latency or args.jitter:
        bank.set_latency(args.latency, args.jitter, args.latency_endpoint)
    if args.rate_limit_in_flight is not None or args.rate_limit_per_second is not None:
        bank.rate_limit(args.rate_limit_in_flight, args.rate_limit_per_second, args.retry_after)
    bank.start(args.host, args.port)
    try:
        if args.world:
            bank.world(args.world)
        if args.write_tokens:
            bank.write_tokens_file(args.write_tokens, bank.mint_token(expires_in=None))
        sys.stdout.write("%d\n" % bank.port)
        sys.stdout.flush()
        if args.verbose:
            sys.stderr.write("fakebank: serving %s (client_id %s), attachments on %s%s\n"
                             % (bank.url, bank.client_id, bank.attachment_url,
                                ", world " + args.world if args.world else ""))
        while not stop.wait(0.5):
            pass
    finally:
        bank.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
