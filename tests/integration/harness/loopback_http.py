"""The lifecycle every loopback HTTP stub of the tests shares: a server bound
to 127.0.0.1 on a free port, served from a daemon thread, used as a context
manager. Subclasses say how to make their server (_make_server) and may do
something before it stops (_before_stop)."""
import threading


class LoopbackHttpServer:
    _server = None

    def _make_server(self):
        """Returns an http.server.HTTPServer bound to ("127.0.0.1", 0)."""
        raise NotImplementedError

    def _before_stop(self):
        pass

    def start(self):
        self._server = self._make_server()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self._before_stop()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"
