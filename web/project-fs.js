// The kernel's end of its file link, and the Emscripten file system that mounts the
// project in the kernel. Both are thin: the SFTP client, its caches and its errors are
// Python (websocketfs/remote.py, browser/project_files.py); this is only what must be
// JavaScript: blocking on shared memory, and the node and stream operations Emscripten
// calls with its own objects.
import { FILES_HEADER_BYTES } from "./files-relay.js";

const EXCHANGE_TIMEOUT_MS = 60_000;
const decoder = new TextDecoder();

/**
 * Send SFTP packets through the compute worker (files-relay.js) and block until their
 * replies are in the files slot, handing each to `receive` as a view of the slot (valid
 * only during the call: it copies). Returns undefined, or a string saying why not every
 * reply came: "interrupted" when an interrupt came first and the exchange is
 * `interruptible` (it changes nothing; left in the buffer: the cell's
 * Python raises KeyboardInterrupt once the file call has failed with EINTR), or why the
 * link failed.
 */
export function filesExchange(slot, interrupt) {
  const header = new Int32Array(slot, 0, 4);
  const room = new Uint8Array(slot, FILES_HEADER_BYTES);
  let lastId = 0;
  return (packets, receive, interruptible) => {
    const id = ++lastId;
    // the packets are fresh copies (Python's to_js): handed over, not copied again
    self.postMessage({ type: "files", id, packets }, packets.map((packet) => packet.buffer));
    const deadline = performance.now() + EXCHANGE_TIMEOUT_MS;
    for (let left = packets.length; left > 0; ) {
      if (Atomics.wait(header, 0, 0, 50) === "timed-out") {
        if (interruptible && interrupt && interrupt[0] !== 0) return "interrupted";
        if (performance.now() > deadline) {
          return `no answer from the project's file link in ${EXCHANGE_TIMEOUT_MS / 1000} s`;
        }
        continue;
      }
      const [, partId, partCount, length] = header;
      try {
        if (partId !== id) continue; // a part of an exchange given up on (interrupted)
        if (partCount < 0) return decoder.decode(room.slice(0, length));
        const view = new DataView(slot, FILES_HEADER_BYTES, length);
        for (let at = 0; at < length; ) {
          const size = 4 + view.getUint32(at);
          receive(room.subarray(at, at + size));
          at += size;
        }
        left -= partCount;
      } finally {
        Atomics.store(header, 0, 0);
        Atomics.notify(header, 0);
      }
    }
    return undefined;
  };
}

const DIRECTORY = 0o40000;

/** An Emscripten file system type whose operations call `ops`, a Python
 * `MountedProject`; a failure becomes the ErrnoError of its errno.
 * `module` is Pyodide's Emscripten module (the private `pyodide._module`): CPython lets
 * go of the GIL around a system call, and Python can be called only with it held. */
export function projectFileSystem(module, python) {
  // each method looked up once (a lookup through the proxy costs microseconds a call)
  const names = ["close", "fgetattr", "fsync", "ftruncate", "getattr", "listdir", "lookup",
    "mknod", "open", "read", "readlink", "remove", "rename", "rmdir", "setattr", "symlink",
    "take_errno", "write"];
  const ops = Object.fromEntries(names.map((name) => [name, python[name]]));
  const { FS } = module;
  const { EINTR, EINVAL, EIO, ENOENT } = module.ERRNO_CODES;
  // An operation gives undefined (None) when it failed, and then `take_errno()` says why.
  // Nothing but an ErrnoError may leave: anything else would be fatal to Pyodide.
  const call = (operation) => {
    const gil = module._PyGILState_Ensure();
    try {
      const result = operation();
      if (result === undefined) throw new FS.ErrnoError(ops.take_errno());
      return result;
    } catch (error) {
      if (error instanceof FS.ErrnoError) throw error;
      if (error?.type === "KeyboardInterrupt") {
        // taken inside the call: the cell's Python sees it again after the EINTR
        module.Py_EmscriptenSignalBuffer[0] = 2;
        throw new FS.ErrnoError(EINTR);
      }
      console.error("project files:", error);
      throw new FS.ErrnoError(EIO);
    } finally {
      module._PyGILState_Release(gil);
    }
  };
  const pathOf = (node) => {
    const parts = [];
    for (; node.parent !== node; node = node.parent) parts.push(node.name);
    return parts.reverse().join("/");
  };
  const inside = (parent, name) => {
    const base = pathOf(parent);
    return base ? `${base}/${name}` : name;
  };
  const createNode = (parent, name, mode) => {
    const node = FS.createNode(parent, name, mode);
    node.node_ops = nodeOps;
    node.stream_ops = streamOps;
    return node;
  };
  const fields = new Float64Array(6); // what ops.getattr and ops.fgetattr fill
  python.share_fields(fields);
  const stat = (node) => {
    const [mode, size, uid, gid, atime, mtime] = fields;
    return {
      dev: 1, ino: node.id, mode, nlink: 1, uid, gid, rdev: 0, size,
      atime: new Date(atime), mtime: new Date(mtime), ctime: new Date(mtime),
      blksize: 4096, blocks: Math.ceil(size / 512),
    };
  };

  const nodeOps = {
    getattr(node) {
      call(() => ops.getattr(pathOf(node)));
      return stat(node);
    },
    // Emscripten's own `timestamp` and `ctime` only say "changed now": not sent.
    setattr(node, attr) {
      // FS.open sets a file it created to the mode asked for: the umask applies there
      const created = node.created;
      node.created = false;
      const args = [attr.mode, attr.atime, attr.mtime, attr.size, created];
      const mode = call(() => ops.setattr(pathOf(node), ...args));
      if (mode) node.mode = mode;
    },
    lookup(parent, name) {
      const mode = call(() => ops.lookup(inside(parent, name)));
      if (mode === 0) throw new FS.ErrnoError(ENOENT);
      return createNode(parent, name, mode);
    },
    mknod(parent, name, mode) {
      const node = createNode(parent, name, call(() => ops.mknod(inside(parent, name), mode)));
      node.created = FS.isFile(node.mode);
      return node;
    },
    rename(node, newDir, newName) {
      call(() => ops.rename(pathOf(node), inside(newDir, newName)));
      const replaced = lookupCached(newDir, newName);
      if (replaced && replaced !== node) FS.destroyNode(replaced);
      node.name = newName;
    },
    unlink: (parent, name) => call(() => ops.remove(inside(parent, name))),
    rmdir: (parent, name) => call(() => ops.rmdir(inside(parent, name))),
    readdir: (node) => [".", "..", ...call(() => ops.listdir(pathOf(node)))],
    symlink: (parent, name, target) => call(() => ops.symlink(target, inside(parent, name))),
    readlink: (node) => call(() => ops.readlink(pathOf(node))),
  };
  // A node Emscripten already knows under that name, without asking the server.
  const lookupCached = (parent, name) => {
    const hash = FS.hashName(parent.id, name);
    for (let node = FS.nameTable[hash]; node; node = node.name_next) {
      if (node.parent.id === parent.id && node.name === name) return node;
    }
    return null;
  };

  const handleOf = (stream) => stream.shared.handle;
  const streamOps = {
    open(stream) {
      stream.shared.refcount = 1;
      if (!FS.isDir(stream.node.mode)) {
        stream.shared.handle = call(() => ops.open(pathOf(stream.node), stream.flags));
      }
    },
    dup: (stream) => void stream.shared.refcount++,
    close(stream) {
      if (--stream.shared.refcount === 0 && handleOf(stream) !== undefined) {
        call(() => ops.close(handleOf(stream)));
      }
    },
    // Python may grow the wasm memory, which detaches views of the old one: `buffer`
    // is such a view when it is the heap, so the bytes are copied out of it before the
    // call and into the heap's current view after it.
    read(stream, buffer, offset, length, position) {
      const onHeap = buffer.buffer === module.HEAPU8.buffer;
      const at = buffer.byteOffset + offset;
      // Python's bytes, viewed in place (with the GIL): copied once, straight to `buffer`
      return call(() => {
        const data = ops.read(handleOf(stream), position, length);
        if (data === undefined) return undefined;
        const view = data.getBuffer("u8");
        try {
          (onHeap ? module.HEAPU8 : new Uint8Array(buffer.buffer)).set(view.data, at);
          return view.data.length;
        } finally {
          view.release();
          data.destroy();
        }
      });
    },
    write(stream, buffer, offset, length, position) {
      const data = buffer.slice(offset, offset + length);
      return call(() => ops.write(handleOf(stream), position, data));
    },
    llseek(stream, offset, whence) {
      let position = offset;
      if (whence === 1) position += stream.position;
      else if (whence === 2 && FS.isFile(stream.node.mode)) {
        call(() => ops.fgetattr(handleOf(stream)));
        position += fields[1];
      }
      if (position < 0) throw new FS.ErrnoError(EINVAL);
      return position;
    },
    getattr: (stream) =>
      handleOf(stream) === undefined
        ? nodeOps.getattr(stream.node)
        : (call(() => ops.fgetattr(handleOf(stream))), stat(stream.node)),
    setattr(stream, attr) {
      if (attr.size !== undefined && handleOf(stream) !== undefined) {
        call(() => ops.ftruncate(handleOf(stream), attr.size));
        attr = { ...attr, size: undefined };
      }
      nodeOps.setattr(stream.node, attr);
    },
    fsync: (stream) => (handleOf(stream) === undefined ? 0 : call(() => ops.fsync(handleOf(stream)))),
  };

  return {
    mount: (mount) => createNode(null, "/", DIRECTORY | 0o777),
  };
}
