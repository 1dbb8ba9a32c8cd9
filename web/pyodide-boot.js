// Boot steps both workers share: load Pyodide, then our wheels, in named phases so
// that a person can see where a slow or broken start stands.

/** The last "Type: message" line of a Python traceback, or the JS message. */
export function summarize(error) {
  const text = String(error?.message ?? error);
  if (error?.type) {
    const line = text.split("\n").find((l) => l.startsWith(`${error.type}:`));
    if (line) return line;
  }
  return text.trim().split("\n").at(-1);
}

/** Run `work` as phase `name`, telling `post` when it starts and ends. */
export async function phase(post, name, detail, work) {
  const started = performance.now();
  post({ type: "phase", phase: name, status: "start", detail });
  try {
    const result = await work();
    post({ type: "phase", phase: name, status: "done", ms: performance.now() - started });
    return result;
  } catch (error) {
    throw Object.assign(new Error(summarize(error)), { phase: name });
  }
}

/** Pyodide with `wheels` (absolute URLs from the project server) installed. */
export async function bootPyodide(config, wheels, post) {
  const pyodide = await phase(post, "runtime", `Pyodide from ${config.pyodideURL}`, async () => {
    const { loadPyodide } = await import(new URL("pyodide.mjs", config.pyodideURL));
    return loadPyodide({ indexURL: config.pyodideURL });
  });
  await phase(post, "packages", `${wheels.length} wheels from ${config.indexURL}`, async () => {
    // loadPackage reports a failed download through errorCallback and does not throw.
    const failures = [];
    await pyodide.loadPackage(wheels, { errorCallback: (m) => failures.push(m), messageCallback() {} });
    if (failures.length) throw new Error(failures.join("; "));
  });
  return pyodide;
}

/**
 * A worker's message loop: the first message goes to `boot`, which resolves to the
 * handler of every later one. Messages that arrive while booting wait for it (a message
 * with no listener yet would be lost); a failed boot goes to `fail`.
 */
export function serveMessages(boot, fail) {
  let booting = null;
  let handle = null;
  const waiting = [];
  self.addEventListener("message", ({ data }) => {
    if (handle) return handle(data);
    if (booting) return waiting.push(data);
    booting = boot(data).then((handler) => {
      handle = handler;
      for (const message of waiting.splice(0)) handle(message);
    }, fail);
  });
}
