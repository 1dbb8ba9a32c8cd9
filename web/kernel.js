// A kernel worker: one IPython kernel in its own Pyodide, for one notebook. The compute
// worker (worker.js) spawns it, sends it cells, and reaches it while a cell runs through
// shared memory: the interrupt buffer, the stdin slot that input() waits on, and the
// files slot that the project's mounted files wait on.
import { bootPyodide, serveMessages, summarize } from "./pyodide-boot.js";
import { filesExchange, projectFileSystem } from "./project-fs.js";

const post = (message) => self.postMessage(message);
const decoder = new TextDecoder();

/** input(): wait for the compute worker to fill the stdin slot ([state, length, bytes]);
 * undefined (None in Python) when an interrupt comes first. */
function stdinReader(slot, interrupt) {
  return () => {
    while (Atomics.load(slot, 0) === 0) {
      Atomics.wait(slot, 0, 0, 50);
      if (interrupt[0] !== 0) {
        interrupt[0] = 0;
        return undefined;
      }
    }
    const bytes = new Uint8Array(slot.buffer, 8, Atomics.load(slot, 1));
    const text = decoder.decode(bytes.slice());
    Atomics.store(slot, 0, 0);
    return text;
  };
}

/** Block this worker for `ms` without spinning (time.sleep in Pyodide busy-waits). */
function sleeper() {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (ms) => Atomics.wait(cell, 0, 0, ms);
}

async function boot({ config, interrupt, stdin, files }) {
  const { pyodide, snapshot } = await bootPyodide(
    config, config.wheels.kernel, post, config.snapshots?.kernel ?? null,
  );
  if (interrupt) pyodide.setInterruptBuffer(interrupt);
  const mount = (ops, path) => pyodide.FS.mount(projectFileSystem(pyodide._module, ops), {}, path);
  const side = await pyodide
    .pyimport("cocalc_compute_wasm.browser.kernel_side")
    // undefined, not null: Pyodide gives Python None for undefined (null is jsnull)
    .start(post, stdin ? stdinReader(stdin, interrupt) : undefined, interrupt ?? undefined,
      interrupt ? sleeper() : undefined, config.indexURL, snapshot ?? undefined,
      files ? filesExchange(files, interrupt) : undefined, mount);
  // handle() reports its own failures; a rejection here is Pyodide itself failing (a
  // fatal error: stack or memory exhausted), after which this kernel is unusable.
  return (data) =>
    side.handle(data).catch((error) =>
      post({ type: "error", phase: "kernel", message: `Pyodide failed: ${summarize(error)}` }),
    );
}

serveMessages(boot, (error) =>
  post({ type: "error", phase: error.phase ?? "kernel", message: summarize(error) }),
);
