// The notebook page's worker: a module worker whose Python (browser/notebook_page.py) is
// the project's collaborator client, over a JavaScript WebSocket. The page's main thread
// only draws what this posts and forwards what a person does.
import { bootPyodide, phase, serveMessages, summarize } from "./pyodide-boot.js";

const post = (message) => self.postMessage(message);

async function boot({ config, path }) {
  const { pyodide } = await bootPyodide(config, config.wheels.worker, post, config.snapshots?.worker ?? null);
  const page = await phase(post, "connect", `notebook ${path}`, () =>
    pyodide.pyimport("cocalc_compute_wasm.browser.notebook_page").start(config, path, post),
  );
  return (data) => page.page_message(data);
}

serveMessages(boot, (error) => post({ type: "error", phase: error.phase ?? "worker", message: summarize(error) }));
