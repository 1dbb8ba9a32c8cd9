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

/**
 * Pyodide with `wheels` (absolute URLs from the project server) installed. With a
 * `snapshot` ({url, integrity} of a memory snapshot that build.py made of this worker
 * kind), the runtime is restored from it, with its imports done; when it cannot be
 * (missing, corrupt, made for another Pyodide build), Pyodide boots the normal way and
 * `snapshot.error` says why. The wheels are loaded either way: a snapshot holds memory,
 * not the files that the imported packages may still read.
 * Resolves to {pyodide, snapshot: {url, used, error} | null}.
 */
export async function bootPyodide(config, wheels, post, snapshot = null) {
  let pyodide = null;
  let report = null;
  if (snapshot) {
    report = { url: snapshot.url, used: false, error: null };
    try {
      pyodide = await phase(post, "runtime", `Pyodide from the snapshot ${snapshot.url}`, () =>
        restorePyodide(config, snapshot),
      );
      report.used = true;
    } catch (error) {
      report.error = summarize(error);
      console.warn(`snapshot ${snapshot.url} unusable, booting without it: ${report.error}`);
    }
  }
  pyodide ??= await phase(
    post,
    "runtime",
    report ? `Pyodide from ${config.pyodideURL} (snapshot unusable: ${report.error})`
      : `Pyodide from ${config.pyodideURL}`,
    async () => {
      const { loadPyodide } = await import(new URL("pyodide.mjs", config.pyodideURL));
      return loadPyodide(runtimeOptions(config));
    },
  );
  await phase(post, "packages", `${wheels.length} wheels from ${config.indexURL}`, async () => {
    // loadPackage reports a failed download through errorCallback and does not throw.
    const failures = [];
    await pyodide.loadPackage(wheels, { errorCallback: (m) => failures.push(m), messageCallback() {} });
    if (failures.length) throw new Error(failures.join("; "));
    if (report?.used) pyodide.pyimport("cocalc_compute_wasm.browser.restored").after_restore();
  });
  return { pyodide, snapshot: report };
}

/** loadPyodide's options: our core, and a Pyodide distribution's lock when the server
 * offers one (its packages then install by name, shared libraries included). */
function runtimeOptions(config) {
  const options = { indexURL: config.pyodideURL };
  if (config.lockFileURL) options.lockFileURL = config.lockFileURL;
  return options;
}

/** Pyodide restored from a memory snapshot; rejects when the snapshot is unusable. */
async function restorePyodide(config, snapshot) {
  // fetched beside Pyodide's own files; the integrity check turns a corrupt or replaced
  // file into a failed fetch, not a broken runtime
  const bytes = fetch(snapshot.url, { integrity: snapshot.integrity }).then(
    async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    async (error) => {
      // The integrity check fails any response that does not match, an error page too,
      // and says only "Failed to fetch": ask again without it, to say which it was.
      const status = await fetch(snapshot.url, { method: "HEAD" }).then((r) => r.status, () => 0);
      if (status === 200) throw new Error("its content does not match its hash (corrupt or replaced)");
      throw status ? new Error(`HTTP ${status}`) : error;
    },
  );
  bytes.catch(() => {}); // handled by loadPyodide, which awaits it later
  const { loadPyodide } = await import(new URL("pyodide.mjs", config.pyodideURL));
  try {
    return await loadPyodide({ ...runtimeOptions(config), _loadSnapshot: bytes });
  } catch (error) {
    // Pyodide's own checks say what failed on their first line ("Snapshot build id
    // mismatch"), a Python traceback on its last
    const text = String(error?.message ?? error).trim();
    const why = text.startsWith("Traceback") ? summarize(error) : text.split("\n")[0];
    throw new Error(`${snapshot.url}: ${why}`);
  }
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
