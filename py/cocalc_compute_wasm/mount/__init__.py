"""`cocalc-compute mount DIR`: the project's files at DIR through FUSE (libfuse3 via
mfusepy), with `RemoteFiles`' caching over one WebSocketFS link.

- ``operations``: the FUSE callbacks, each a RemoteFiles call;
- ``mountpoint``: is DIR mounted, a stale mount left by a crash (ENOTCONN) and its
  clearing with fusermount3;
- ``service``: the mount process (foreground; libfuse unmounts on SIGINT and SIGTERM) and
  the child mount a native worker starts its kernels in.
"""
