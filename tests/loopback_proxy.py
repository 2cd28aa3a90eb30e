"""A stand-in for an HTTP proxy on loopback that records what reaches it, to show
that requests to a loopback API never go through the proxy the environment names."""
import socket
import threading

import pytest

PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


class Proxy:
    """A listener on loopback that records what arrives and answers nothing."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.seen = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(4096))
                except OSError:
                    self.seen.append(b"")

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join()


@pytest.fixture
def proxy():
    p = Proxy()
    yield p
    p.close()


def use_proxy(env, proxy):
    env.vars.update({v: proxy.url for v in PROXY_VARS})
    env.vars.pop("no_proxy", None)
    env.vars.pop("NO_PROXY", None)
