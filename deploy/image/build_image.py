#!/usr/bin/env python3
"""Builds the container image ecssd:<version> (and ecssd:latest) offline, from
scratch, as the tar `docker save` writes and `docker load -i` reads: no base
image, no registry, no Docker engine needed to build it.

Its one layer is the tarball's contents (deploy/tarball/build_tarball.py)
laid out so the binary runs without a launcher or a shell:

    /usr/bin/ecssd                    the binary
    /lib64/ld-linux-x86-64.so.2       its loader (the binary's PT_INTERP)
    /lib/x86_64-linux-gnu/*.so*       its libraries (the loader's default path)
    /etc/ssl/certs/ca-certificates.crt  this machine's CA certificates (SSL_CERT_FILE)
    /etc/passwd, /etc/group           root and ecssd (65532), the user it runs as
    /usr/share/doc/ecssd/             the copyright files of the bundled libraries
    /tmp

Config: ENTRYPOINT ["/usr/bin/ecssd"], CMD ["agent"], USER 65532:65532.
Run it with the host's socket read-only and its group:

    docker run -d --network host -v /var/run/docker.sock:/var/run/docker.sock:ro \\
      --group-add "$(stat -c %g /var/run/docker.sock)" ecssd:<version> agent ...

    build_image.py --tarball build/dist/ecssd-0.1.0-linux-x86_64.tar.gz --version 0.1.0 \\
        --output build/dist/ecssd-image-0.1.0.tar
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import sys
import tarfile

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
UID = GID = 65532
PASSWD = "root:x:0:0:root:/root:/sbin/nologin\necssd:x:%d:%d:ecssd:/nonexistent:/sbin/nologin\n" % (UID, GID)
GROUP = "root:x:0:\necssd:x:%d:\n" % GID
NSSWITCH = "passwd: files\ngroup: files\nhosts: files dns\n"


class Symlink(str):
    """An entry that is a symbolic link to this target."""


def layer_entries(tarball):
    """[(path in the image, bytes, mode)] from the tarball's files."""
    out = []
    with tarfile.open(tarball) as t:
        members = [m for m in t.getmembers() if m.isfile() or m.issym()]
        top = members[0].name.split("/")[0]
        for m in members:
            rel = m.name[len(top) + 1:]
            if m.issym():
                if rel.startswith("share/doc/ecssd/"):
                    out.append(("usr/" + rel, Symlink(m.linkname), 0o777))
                continue
            data = t.extractfile(m).read()
            if rel == "libexec/ecssd/ecssd":
                out.append(("usr/bin/ecssd", data, 0o755))
            elif rel == "libexec/ecssd/lib/ld-linux-x86-64.so.2":
                out.append(("lib64/ld-linux-x86-64.so.2", data, 0o755))
            elif rel.startswith("libexec/ecssd/lib/"):
                out.append(("lib/x86_64-linux-gnu/" + rel.rsplit("/", 1)[1], data, 0o644))
            elif rel.startswith("share/doc/ecssd/"):
                out.append(("usr/" + rel, data, 0o644))
    if not any(p == "usr/bin/ecssd" for p, _, _ in out):
        raise SystemExit("build_image.py: %s has no libexec/ecssd/ecssd" % tarball)
    with open(CA_BUNDLE, "rb") as f:
        out.append((CA_BUNDLE.lstrip("/"), f.read(), 0o644))
    out += [("etc/passwd", PASSWD.encode(), 0o644), ("etc/group", GROUP.encode(), 0o644),
            ("etc/nsswitch.conf", NSSWITCH.encode(), 0o644)]
    return out


def layer_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = {"tmp"}
        for path, _, _ in entries:
            parts = path.split("/")[:-1]
            for i in range(len(parts)):
                dirs.add("/".join(parts[:i + 1]))
        for d in sorted(dirs):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        for path, data, mode in sorted(entries):
            info = tarfile.TarInfo(path)
            info.mode = mode
            if isinstance(data, Symlink):
                info.type = tarfile.SYMTYPE
                info.linkname = data
                tar.addfile(info)
                continue
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def created(tarball):
    """$SOURCE_DATE_EPOCH (reproducible builds), else when the tarball was built."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or os.stat(tarball).st_mtime)
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_config(version, diff_id, when):
    return {
        "architecture": "amd64",
        "os": "linux",
        "created": when,
        "config": {
            "User": "%d:%d" % (UID, GID),
            "Entrypoint": ["/usr/bin/ecssd"],
            "Cmd": ["agent"],
            "Env": ["PATH=/usr/bin", "SSL_CERT_FILE=" + CA_BUNDLE],
            "WorkingDir": "/",
            "Labels": {
                "org.opencontainers.image.title": "ecssd",
                "org.opencontainers.image.description": "DNS service discovery for containers",
                "org.opencontainers.image.version": version,
            },
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
        "history": [{"created": when, "created_by": "deploy/image/build_image.py (from the tarball)"}],
    }


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tarball", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--name", default="ecssd")
    p.add_argument("--output", required=True)
    args = p.parse_args()

    layer = layer_tar(layer_entries(args.tarball))
    diff_id = hashlib.sha256(layer).hexdigest()
    config = json.dumps(image_config(args.version, diff_id, created(args.tarball)), sort_keys=True, separators=(",", ":")).encode()
    image_id = hashlib.sha256(config).hexdigest()
    tags = ["%s:%s" % (args.name, args.version), "%s:latest" % args.name]
    manifest = [{"Config": image_id + ".json", "RepoTags": tags, "Layers": [diff_id + "/layer.tar"]}]
    repositories = {args.name: {args.version: diff_id, "latest": diff_id}}
    partial = args.output + ".tmp"
    with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
        add(tar, diff_id + "/VERSION", b"1.0")
        add(tar, diff_id + "/layer.tar", layer)
        add(tar, image_id + ".json", config)
        add(tar, "manifest.json", json.dumps(manifest).encode())
        add(tar, "repositories", json.dumps(repositories).encode())
    os.replace(partial, args.output)
    print("build_image.py: %s: %s, image %s, %.1f MB uncompressed" % (args.output, " ".join(tags), image_id[:12],
                                                                    len(layer) / 1e6))


if __name__ == "__main__":
    sys.exit(main())
