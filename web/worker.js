// The compute worker: a module worker (Pyodide 314 rejects classic workers) whose Python
// joins the project as a compute client and runs the runner for every notebook the
// server assigns; each notebook's kernel is a kernel worker of its own (kernel.js), so
// this worker, its websocket and its runner stay free while cells run.
import { bootPyodide, phase, serveMessages, summarize } from "./pyodide-boot.js";
import { spawnKernel } from "./kernel-handle.js";

const post = (message) => self.postMessage(message);

async function boot({ config, apiKey }) {
  const pyodide = await bootPyodide(config, config.wheels.worker, post);
  const compute = await phase(post, "connect", `project ${config.projectId}`, () =>
    pyodide.pyimport("cocalc_compute_wasm.browser.compute").start(config, apiKey ?? undefined, post, spawnKernel),
  );
  return (data) => compute.page_message(data);
}

serveMessages(boot, (error) =>
  post({ type: "error", phase: error.phase ?? "worker", message: summarize(error) }),
);
