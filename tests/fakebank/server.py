"""HTTP side of the fake Monzo bank: the API, the auth page and the /_fake/ control API,
and the attachment host that serves the attachments' files."""

from __future__ import annotations

import email.utils
import json
import re
import socket
import socketserver
import sys
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .bank import ApiError, FAULT_KINDS, NOT_API, dumps, format_ts

_FAULT_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 429: "too_many_requests",
    500: "internal_service", 502: "bad_gateway", 503: "service_unavailable",
    504: "gateway_timeout",
}

class _NoHandler(Exception):
    pass


_TX_PATH = re.compile(r"/transactions/([^/]+)\Z")

# (method, path) -> endpoint name
_ROUTES = {
    ("GET", "/"): "auth",
    ("POST", "/oauth2/token"): "token",
    ("POST", "/oauth2/logout"): "logout",
    ("GET", "/ping/whoami"): "whoami",
    ("GET", "/accounts"): "accounts",
    ("GET", "/balance"): "balance",
    ("GET", "/pots"): "pots",
    ("GET", "/transactions"): "transactions",
}
_PATHS = {p: name for (_, p), name in _ROUTES.items()}


def _route(method, path):
    """-> (endpoint name, allowed: bool)."""
    name = _ROUTES.get((method, path))
    if name:
        return name, True
    if path in _PATHS:
        return _PATHS[path], False
    if _TX_PATH.match(path):
        return "transaction", method == "GET"
    return "not_found", False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, bank):
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.bank = bank
        self._conns = set()
        self._conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def server_bind(self):
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port

    def process_request(self, request, client_address):
        if self.RequestHandlerClass is _Handler:
            self.bank.traffic_shaping.connected()
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self):
        with self._conns_lock:
            conns = list(self._conns)
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, OSError)):
            return
        if self.bank.verbose:
            super().handle_error(request, client_address)
        else:
            sys.stderr.write("fakebank: error serving %s: %r\n" % (client_address, exc))


class _Base(BaseHTTPRequestHandler):
    """What the API and the attachment host share: sending, logging, faults."""
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without TCP_NODELAY, Nagle's algorithm
    # holds a small body back until the client's delayed ACK, 40 ms a reply.
    disable_nagle_algorithm = True
    server_version = "fakebank/1.0"

    def version_string(self):
        return self.server_version

    def date_time_string(self, timestamp=None):
        """The Date header on the bank's clock (pinned, advanced), as the real bank's
        says its own time: clients compare it with the transactions' times."""
        if timestamp is None:
            timestamp = self.server.bank.now().timestamp()
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_message(self, fmt, *args):
        if self.server.bank.verbose:
            sys.stderr.write("fakebank: %s %s\n" % (self.address_string(), fmt % args))

    _leave = None

    def _landed(self):
        """The request leaves the bank's count of those in flight (once)."""
        leave, self._leave = self._leave, None
        if leave is not None:
            leave()

    def _send(self, status, body: bytes, ctype="application/json", headers=None,
              truncate=False, head=False, length=None, slow=0.0):
        """head: the headers a GET would get, without the body.  length: the
        Content-Length announced (None: the body's; False: none, the body then ending
        with the connection).  slow: seconds over which the body goes out, in twenty
        even pieces."""
        self._landed()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not False:
            self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if truncate or (length is False and not head):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        if truncate:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif slow > 0:
            step = -(-len(body) // 20) or 1
            for i in range(0, len(body), step):
                time.sleep(slow / 20)
                self.wfile.write(body[i:i + step])
                self.wfile.flush()
        else:
            self.wfile.write(body)

    def _send_json(self, status, obj, headers=None, head=False):
        self._send(status, dumps(obj), headers=headers, head=head)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _fault(self, endpoint, head=False):
        """Apply the fault injected for this request, if any: -> (answered, fault)."""
        fault = self.server.bank.take_fault(endpoint)
        if fault is None:
            return False, None
        if fault["kind"] == "slow":
            return False, fault
        if fault["delay"] > 0:
            time.sleep(fault["delay"])
        kind = fault["kind"]
        if kind == "drop":
            self.close_connection = True
            return True, fault
        if kind == "status":
            st = fault["status"]
            code = fault["code"] or _FAULT_CODES.get(st, "http_%d" % st)
            msg = fault["message"] or "Injected fault (HTTP %d)" % st
            hdrs = {}
            if fault["retry_after"] is not None:
                hdrs["Retry-After"] = str(fault["retry_after"])
            body = {"code": code, "message": msg}
            if endpoint == "token":  # also the OAuth pair, as token_grant's refusals have
                body.update(error=code, error_description=msg)
            self._send_json(st, body, headers=hdrs, head=head)
            return True, fault
        if kind == "bad_json":
            self._send(200, b'{"code":"ok","transactions":[{"id":"tx_0000broken",')
            return True, fault
        return False, fault


class _Handler(_Base):
    # ---------------------------------------------------------------- plumbing

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    def _param(self, query, name):
        v = query.get(name)
        return v[0] if v else None

    # ---------------------------------------------------------------- dispatch

    def _handle(self, method):
        bank = self.server.bank
        url = urlsplit(self.path)
        path = url.path
        query = parse_qs(url.query, keep_blank_values=True)
        body = self._read_body()

        if path == "/_fake" or path.startswith("/_fake/"):
            return self._control(method, path, query, body)

        endpoint, allowed = _route(method, path)
        bank.count(endpoint)
        traffic = bank.traffic_shaping
        api = endpoint not in NOT_API
        refused = traffic.admit(endpoint, self.path) if api else None
        if api and refused is None:
            # Out of flight once its answer is made, before it is sent: a client that
            # has the answer is never still counted.
            self._leave = lambda: traffic.leave(endpoint)
        try:
            traffic.delay(endpoint, api)
            if refused is not None:
                return self._send_json(429, {"code": "too_many_requests",
                                             "message": "Too many requests: slow down"},
                                       headers={"Retry-After": refused} if refused else None)
            self._serve(method, path, query, body, endpoint, allowed)
        finally:
            self._landed()

    def _serve(self, method, path, query, body, endpoint, allowed):
        bank = self.server.bank
        hold = bank.take_hold(endpoint, self._param(query, "account_id") if query else None)
        if hold is not None and not hold.answered:
            if not hold.wait(self.connection):
                self.close_connection = True
                return
        answered, fault = self._fault(endpoint)
        if answered:
            return

        status, ctype, out, headers = self._answer(method, path, endpoint, allowed, query,
                                                   body)
        if hold is not None and hold.answered:
            hold.wait()
        self._send(status, out, ctype=ctype, headers=headers,
                   truncate=fault is not None and fault["kind"] == "truncate",
                   slow=fault["delay"] if fault is not None and fault["kind"] == "slow" else 0.0)

    def _answer(self, method, path, endpoint, allowed, query, body):
        """-> (status, content type, body bytes, headers)."""
        bank = self.server.bank
        try:
            if endpoint == "not_found":
                raise ApiError(404, "not_found.no_handler",
                               "No handler for %s %s" % (method, path), retryable={})
            if not allowed:
                raise ApiError(405, "method_not_allowed",
                               "Method %s not allowed for %s" % (method, path), retryable={})
            if endpoint == "auth":
                return self._auth_page(query)
            if endpoint == "token":
                form = {k: v[0] for k, v in
                        parse_qs(body.decode("utf-8", "replace"),
                                 keep_blank_values=True).items()}
                return 200, "application/json", dumps(bank.token_grant(form)), {}

            session = bank.check_access(self.headers.get("Authorization"))
            if endpoint == "whoami":
                obj = {"authenticated": True, "client_id": session.client_id,
                       "user_id": session.user_id}
            elif endpoint == "logout":
                bank.logout(session)
                obj = {}
            else:
                bank.check_permissions(session, endpoint)
                q = lambda name: self._param(query, name)  # noqa: E731
                expand = "merchant" in query.get("expand[]", [])
                if endpoint == "accounts":
                    obj = bank.api_accounts(q("account_type"))
                elif endpoint == "balance":
                    obj = bank.api_balance(q("account_id"))
                elif endpoint == "pots":
                    obj = bank.api_pots(q("current_account_id"))
                elif endpoint == "transactions":
                    return 200, "application/json", bank.transactions_page(
                        session, q("account_id"), since=q("since"), before=q("before"),
                        limit=q("limit"), expand=expand), {}
                elif endpoint == "transaction":
                    obj = bank.api_transaction(_TX_PATH.match(path).group(1), expand=expand)
                else:
                    raise AssertionError(endpoint)
                with bank._lock:
                    return 200, "application/json", dumps(obj), {}
            return 200, "application/json", dumps(obj), {}
        except ApiError as e:
            return e.status, "application/json", dumps(e.body), e.headers

    def _auth_page(self, query):
        bank = self.server.bank
        client_id = self._param(query, "client_id")
        redirect_uri = self._param(query, "redirect_uri")
        response_type = self._param(query, "response_type")
        state = self._param(query, "state")
        try:
            if response_type != "code":
                raise ValueError("response_type must be 'code'")
            location = bank.authorize(client_id, redirect_uri, state)
        except ValueError as e:
            page = ("<!doctype html><meta charset=utf-8><title>Monzo (fake)</title>"
                    "<h1>Something went wrong</h1><p>%s</p>\n" % escape(str(e)))
            return 400, "text/html; charset=utf-8", page.encode(), {}
        page = ('<!doctype html><meta charset=utf-8><title>Monzo (fake)</title>'
                '<p>Signed in. Continue to <a href="%s">your app</a>.</p>\n'
                % escape(location))
        return 302, "text/html; charset=utf-8", page.encode(), {"Location": location}

    # ---------------------------------------------------------------- control API

    def _control(self, method, path, query, body):
        bank = self.server.bank
        name = path[len("/_fake/"):] if path.startswith("/_fake/") else ""
        try:
            args = json.loads(body.decode("utf-8")) if body.strip() else {}
            if not isinstance(args, dict):
                raise ValueError("the body must be a JSON object")
            for k, v in query.items():
                try:                    # ?seconds=60, ?approved=false, ?count=null
                    val = json.loads(v[0])
                except ValueError:
                    val = v[0]
                args.setdefault(k, val)
            if method == "GET" and name == "counts":
                obj = bank.counts
            elif method == "GET" and name == "info":
                obj = bank.info()
            elif method == "GET" and name == "now":
                obj = {"now": format_ts(bank.now())}
            elif method == "GET" and name == "world":
                obj = bank.world_info()
            elif method == "GET" and name == "traffic":
                obj = bank.traffic
            elif method == "GET" and name == "attachments":
                obj = {"url": bank.attachment_url, "counts": bank.attachment_counts,
                       "auth_violations": bank.attachment_auth_violations}
            elif method != "POST":
                raise _NoHandler
            elif name == "reset_counts":
                bank.reset_counts()
                obj = {}
            elif name == "advance":
                obj = {"now": format_ts(bank.advance(float(args.get("seconds", 0))))}
            elif name == "balance":
                acc = args.pop("account_id")
                obj = bank.set_balance(acc, **args)
            elif name == "fault":
                if args.get("kind", "status") not in FAULT_KINDS:
                    raise ValueError("unknown fault kind")
                bank.inject(**args)
                obj = {}
            elif name == "clear_faults":
                bank.clear_faults()
                obj = {}
            elif name == "world":
                obj = bank.world(args.get("name"))
            elif name == "latency":
                obj = bank.set_latency(**args)
            elif name == "rate_limit":
                obj = bank.rate_limit(**args)
            elif name == "refuse":
                obj = bank.refuse(**args)
            elif name == "refuse_pot_ledgers":
                obj = bank.refuse_pot_ledgers(**args)
            elif name in ("clear_refusals", "attachment_host_down", "attachment_host_up",
                          "restore_optional_fields"):
                getattr(bank, name)()
                obj = {}
            elif name == "strip_optional_fields":
                obj = {"ids": bank.strip_optional_fields(**args),
                       "stripped_roles": bank.stripped_roles}
            elif name == "mint_token":
                path_out = args.pop("tokens_file", None)
                if "expires_in" in args and args["expires_in"] is not None:
                    args["expires_in"] = int(args["expires_in"])
                obj = bank.mint_token(**args)
                if path_out:
                    bank.write_tokens_file(path_out, obj)
            elif name == "approve":
                bank.approve(args.get("when"))
                obj = {}
            elif name == "add_transaction":
                acc = args.pop("account_id")
                obj = bank.add_transaction(acc, **args)
            elif name == "update_transaction":
                obj = bank.update_transaction(args.pop("id"), **args)
            elif name == "remove_transaction":
                obj = bank.remove_transaction(args["id"])
            elif name == "add_attachment":
                obj = bank.add_attachment(**args)
            elif name == "remove_attachment":
                obj = bank.remove_attachment(**args)
            elif name == "redirect_attachment":
                bank.redirect_attachment(**args)
                obj = {}
            elif name == "attachment_content_length":
                bank.attachment_content_length(**args)
                obj = {}
            elif name == "transfer_to_pot":
                tx, leg = bank.transfer_to_pot(args.pop("account_id"), args.pop("pot_id"),
                                               **args)
                obj = {"transaction": tx, "pot_transaction": leg}
            elif name == "settings":
                for k in ("token_lifetime", "approve_after_polls", "confidential",
                          "redirect_uris", "code_lifetime"):
                    if k in args:
                        setattr(bank, k, args[k])
                obj = {}
            else:
                raise _NoHandler
        except _NoHandler:
            return self._send_json(404, {"code": "not_found.no_handler",
                                         "message": "No handler for %s %s" % (method, path)})
        except (ValueError, TypeError, KeyError) as e:
            return self._send_json(400, {"code": "bad_request.fake", "message": str(e)})
        with bank._lock:
            return self._send_json(200, obj)


class _FileHandler(_Base):
    """The attachment host: GET and HEAD of the files the attachments' file_url name,
    with their exact Content-Length and file_type as Content-Type.  It takes no
    credentials: a request carrying an Authorization header is refused with 403 (before
    any fault or hold) and recorded in bank.attachment_auth_violations.  Every request
    is counted (bank.counts["attachment"], bank.attachment_counts).  Its
    Content-Length follows bank.attachment_content_length.  A redirect
    (bank.redirect_attachment) answers after faults and holds.  A refusal
    (bank.refuse("attachment", ...)) answers after faults and holds, with its status
    and message as text."""

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def _handle(self, method):
        bank = self.server.bank
        path = urlsplit(self.path).path
        self._read_body()
        head = method == "HEAD"
        authorization = self.headers.get("Authorization")
        bank.attachment_seen(path, method, authorization)
        if authorization is not None:
            return self._send(403, b"This host takes no Authorization header\n",
                              ctype="text/plain; charset=utf-8", head=head)
        bank.traffic_shaping.delay("attachment", api=False)
        hold = bank.take_hold("attachment")
        if hold is not None and not hold.answered:
            hold.wait()
        answered, fault = self._fault("attachment", head=head)
        if answered:
            return
        redirect = bank.attachment_redirect(path)
        if redirect is not None:
            return self._send(redirect[0], b"", ctype="text/plain; charset=utf-8",
                              headers={"Location": redirect[1]}, head=head)
        found = bank.attachment_file(path)
        refused = bank.attachment_refusal(path)
        if refused is not None:
            status, body = refused
            ctype = "text/plain; charset=utf-8"
        elif method not in ("GET", "HEAD"):
            status, ctype, body = 405, "text/plain; charset=utf-8", b"Method not allowed\n"
        elif found is None:
            status, ctype, body = 404, "text/plain; charset=utf-8", b"No such file\n"
        else:
            status, (ctype, body) = 200, found
        length = None
        if status == 200:
            mode = bank.attachment_lengths["HEAD" if head else "GET"]
            length = False if mode == "none" else len(body) - 1 if mode == "less" else None
        if hold is not None and hold.answered:
            hold.wait()
        self._send(status, body, ctype=ctype, head=head, length=length,
                   truncate=fault is not None and fault["kind"] == "truncate",
                   slow=fault["delay"] if fault is not None and fault["kind"] == "slow" else 0.0)


class _InternalHandler(_Base):
    """A host of the user's own network (an intranet page, a router, a cloud metadata
    service) that no attachment may reach: every GET and HEAD gets 200 and a page, and
    is recorded in bank.internal_requests."""

    def do_GET(self):
        self._handle(head=False)

    def do_HEAD(self):
        self._handle(head=True)

    def _handle(self, head):
        self._read_body()
        self.server.bank.internal_seen(self.command, urlsplit(self.path).path)
        self._send(200, INTERNAL_PAGE, ctype="text/plain; charset=utf-8", head=head)


INTERNAL_PAGE = b"an internal page: no attachment may hold this\n"


def serve(bank, host, port, files=False, internal=False):
    """Start serving `bank`'s API (files: its attachment host; internal: a host of the
    user's own network); returns (server, thread)."""
    srv = _Server((host, port), _InternalHandler if internal else _FileHandler if files else _Handler,
                  bank)
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                          name="fakebank-%s%d" % ("files-" if files else "",
                                                  srv.server_address[1]), daemon=True)
    th.start()
    return srv, th
