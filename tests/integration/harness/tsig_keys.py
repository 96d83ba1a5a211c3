"""TSIG keys for the DNS servers the tests start (BIND, Knot, PowerDNS) and
for the clients that talk to them (ecssd, nsupdate, dig, kdig)."""
import base64
import os

_SECRET_BYTES = {"hmac-sha1": 20, "hmac-sha224": 28, "hmac-sha256": 32, "hmac-sha384": 48, "hmac-sha512": 64}


class TsigKey:
    def __init__(self, name="ecssd-key", algorithm="hmac-sha256", secret=None):
        self.name = name.rstrip(".")
        self.algorithm = algorithm
        self.secret = secret or base64.b64encode(os.urandom(_SECRET_BYTES[algorithm])).decode()

    def bind_clause(self, name=None):
        """The key as tsig-keygen writes it (named.conf, nsupdate -k, ecssd)."""
        return f'key "{name or self.name}" {{\n\talgorithm {self.algorithm};\n\tsecret "{self.secret}";\n}};\n'

    def knot_yaml(self):
        """The key as `keymgr -t` prints it (knot.conf `key:` section, ecssd)."""
        return (f"# {self.algorithm}:{self.name}:{self.secret}\nkey:\n  - id: {self.name}\n"
                f"    algorithm: {self.algorithm}\n    secret: {self.secret}\n")

    def pdns_line(self):
        """The key as `pdnsutil list-tsig-keys` prints it."""
        return f"{self.name}. {self.algorithm}. {self.secret}\n"

    def dig_arg(self):
        """-y for dig, kdig and nsupdate."""
        return f"{self.algorithm}:{self.name}:{self.secret}"

    def write(self, path, form="bind", mode=0o600):
        text = {"bind": self.bind_clause, "knot": self.knot_yaml, "pdns": self.pdns_line}[form]()
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path
