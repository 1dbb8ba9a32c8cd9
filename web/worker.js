// The compute worker: a module worker (Pyodide 314 rejects classic workers) whose Python
// joins the project as a compute client and runs the runner for every notebook the
// server assigns; each notebook's kernel is a kernel worker of its own (kernel.js), so
// this worker, its websocket and its runner stay free while cells run.
import { bootPyodide, phase, serveMessages, summarize } from "./pyodide-boot.js";
import { setFilesAccess } from "./files-relay.js";
import { spawnKernel } from "./kernel-handle.js";

const post = (message) => self.postMessage(message);

async function boot({ config, apiKey }) {
  // The first kernel boots beside this worker's own Pyodide, not after it.
  post({ type: "phase", phase: "kernel", status: "start", detail: "IPython kernel in a worker of its own" });
  const kernelSpawnedAt = performance.now();
  let first = spawnKernel(config);
  const spawn = (kernelConfig) => {
    const kernel = first ?? spawnKernel(kernelConfig);
    first = null;
    return kernel;
  };
  const { pyodide, snapshot } = await bootPyodide(
    config, config.wheels.worker, post, config.snapshots?.worker ?? null,
  );
  const compute = await phase(post, "connect", `project ${config.projectId}`, () =>
    pyodide.pyimport("cocalc_compute_wasm.browser.compute").start(config, apiKey ?? undefined, post, spawn, kernelSpawnedAt,
      snapshot ?? undefined, setFilesAccess),
  );
  return (data) => compute.page_message(data);
}

serveMessages(boot, (error) =>
  post({ type: "error", phase: error.phase ?? "worker", message: summarize(error) }),
);
