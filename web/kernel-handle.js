// The compute worker's handle on one kernel worker: spawn it with its shared memory,
// pass messages, interrupt, answer input(), carry its file link, terminate. Python
// (browser/kernel_worker.py) drives it; this is only the part that needs JavaScript's
// own objects.

import { FILES_HEADER_BYTES, FILES_SLOT_BYTES, filesRelay } from "./files-relay.js";
import { moduleWorker } from "./module-worker.js";

const STDIN_BYTES = 1 << 20;
const encoder = new TextEncoder();

/**
 * Start a kernel worker. Its messages are kept until `listen(onMessage)` is called, so
 * that it can be spawned before anyone is ready to hear it (the compute worker spawns
 * its first kernel before its own Pyodide is up: the two boot at the same time).
 */
export function spawnKernel(config) {
  const worker = moduleWorker(new URL("kernel.js", import.meta.url));
  // Shared memory exists only when the page is cross-origin isolated.
  const shared = self.crossOriginIsolated;
  const interrupt = shared ? new Uint8Array(new SharedArrayBuffer(1)) : null;
  const stdin = shared ? new Int32Array(new SharedArrayBuffer(8 + STDIN_BYTES)) : null;
  const files = shared ? new SharedArrayBuffer(FILES_HEADER_BYTES + FILES_SLOT_BYTES) : null;
  const relay = files ? filesRelay(files) : null;
  let deliver = null;
  const kept = [];
  const receive = (message) => (deliver ? deliver(message) : kept.push(message));
  worker.addEventListener("message", ({ data }) =>
    data?.type === "files" ? relay.carry(data) : receive(data),
  );
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    receive({ type: "error", phase: "kernel", message: event.message || "the kernel worker failed" });
  });
  worker.postMessage({ config, interrupt, stdin, files });
  return {
    shared,
    listen(onMessage) {
      deliver = onMessage;
      for (const message of kept.splice(0)) deliver(message);
    },
    send: (message) => worker.postMessage(message),
    /** SIGINT into Pyodide's interrupt buffer; false when there is none. */
    interrupt() {
      if (!interrupt) return false;
      interrupt[0] = 2;
      return true;
    },
    /** Hand input() its line; false when it does not fit or there is no slot. */
    writeStdin(text) {
      const bytes = encoder.encode(text);
      if (!stdin || bytes.length > STDIN_BYTES) return false;
      new Uint8Array(stdin.buffer, 8, bytes.length).set(bytes);
      Atomics.store(stdin, 1, bytes.length);
      Atomics.store(stdin, 0, 1);
      Atomics.notify(stdin, 0);
      return true;
    },
    terminate() {
      worker.terminate();
      relay?.close();
    },
  };
}
