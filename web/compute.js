// The compute page's ES module API: start a compute worker in this browser for one
// project. index.html uses it; another web app can import it the same way:
//
//   import { startCompute } from "https://server/<project>/compute/compute.js";
//   const compute = await startCompute({ server: "https://server/", projectId, apiKey });
//   compute.events.addEventListener("status", ({ detail }) => render(detail));
//   ...; compute.stop();
import { moduleWorker } from "./module-worker.js";

/** The server's config for `projectId`; `server` is its URL with the base path. */
export async function fetchConfig(server, projectId) {
  const url = new URL(`${encodeURIComponent(projectId)}/compute/config.json`, server);
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`cannot reach the project server at ${url}: ${error.message}`);
  }
  if (!response.ok) {
    throw new Error(`${url}: HTTP ${response.status} ${(await response.text()).trim()}`);
  }
  return response.json();
}

/**
 * Start computing for a project. `apiKey` may be left out on the project server's own
 * origin when its api_key cookie is set. Returns a handle:
 *   events   EventTarget: "phase" (boot progress), "status" (connection, notebooks,
 *            kernels, features, errors), "ready" (connected with a kernel up), "error";
 *            each with the worker's message in `event.detail`
 *   status   the last status
 *   connect(apiKey)       try again, e.g. with a key typed after a refusal
 *   control(path, action) "interrupt" or "restart" a notebook's kernel; a Promise
 *   disconnect()          leave the project (the worker stays for connect())
 *   stop()                end everything
 */
export async function startCompute({ server, projectId, apiKey = null, config = null }) {
  config ??= await fetchConfig(server, projectId);
  const events = new EventTarget();
  const worker = moduleWorker(new URL("worker.js", import.meta.url));
  const pending = new Map();
  let nextId = 1;
  const handle = {
    events,
    config,
    status: null,
    connect: (key = null) => worker.postMessage({ op: "connect", apiKey: key }),
    control(path, action) {
      const id = nextId++;
      worker.postMessage({ op: "control", id, path, action });
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    disconnect: () => worker.postMessage({ op: "disconnect" }),
    stop: () => worker.terminate(),
  };
  const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));
  worker.addEventListener("message", ({ data }) => {
    if (data.type === "status") handle.status = data.status;
    if (data.type === "control") {
      const { resolve, reject } = pending.get(data.id) ?? {};
      pending.delete(data.id);
      if (data.error) reject?.(new Error(data.error));
      else resolve?.(data.result);
      return;
    }
    emit(data.type, data.type === "status" ? data.status : data);
  });
  worker.addEventListener("error", (event) =>
    emit("error", { phase: "worker", message: event.message || "the compute worker failed to load" }),
  );
  worker.postMessage({ config, apiKey });
  return handle;
}
