// ES module API of the compute page: start a compute worker and follow its boot.
// index.html uses it; another web app can import it the same way.

/** Fetch the server's config (absolute URLs of Pyodide, the wheel index, the pin). */
export async function fetchConfig(base = new URL(".", import.meta.url)) {
  const response = await fetch(new URL("config.json", base));
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return response.json();
}

/**
 * Start the Pyodide worker. Returns a handle whose `events` is an EventTarget firing
 * "phase", "ready" and "error" (the worker's message in `event.detail`), and `stop()`.
 */
export function startWorker(config) {
  const events = new EventTarget();
  const worker = new Worker(new URL("worker.js", import.meta.url), { type: "module" });
  const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));
  worker.addEventListener("message", ({ data }) => emit(data.type, data));
  worker.addEventListener("error", (event) =>
    emit("error", { phase: "worker", message: event.message || "the worker failed to load" }),
  );
  worker.postMessage({ config });
  return { events, stop: () => worker.terminate() };
}
