// The compute worker: a module worker (Pyodide 314 rejects classic workers) that boots
// Pyodide and installs cocalc-compute-wasm from the project's own package index.
// It boots in named phases so a person can see where a slow or broken start stands.

const post = (message) => self.postMessage(message);

/** The last "Type: message" line of a Python traceback, or the JS message. */
function summarize(error) {
  const text = String(error?.message ?? error);
  if (error?.type) {
    const line = text.split("\n").find((l) => l.startsWith(`${error.type}:`));
    if (line) return line;
  }
  return text.trim().split("\n").at(-1);
}

async function phase(name, detail, work) {
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

async function boot(config) {
  const pyodide = await phase("runtime", `Pyodide from ${config.pyodideURL}`, async () => {
    const { loadPyodide } = await import(new URL("pyodide.mjs", config.pyodideURL));
    return loadPyodide({ indexURL: config.pyodideURL });
  });
  const installed = await phase("packages", `${config.requirement} from ${config.indexURL}`, async () => {
    const failures = [];
    await pyodide.loadPackage(config.micropipURL, { errorCallback: (m) => failures.push(m) });
    if (failures.length) throw new Error(`micropip: ${failures.join("; ")}`);
    const micropip = pyodide.pyimport("micropip");
    // Our index only: no fallback to PyPI or a CDN.
    micropip.set_index_urls([config.indexURL]);
    try {
      await micropip.install(config.requirement);
    } catch (error) {
      throw new Error(`cannot install ${config.requirement} from ${config.indexURL}: ${summarize(error)}`);
    }
    return pyodide
      .runPython("import micropip; sorted(f'{p.name}=={p.version}' for p in micropip.list().values())")
      .toJs();
  });
  const version = await phase("import", "import cocalc_compute_wasm", async () =>
    pyodide.pyimport("cocalc_compute_wasm").__version__,
  );
  const kernel = await phase("kernel", "IPython kernel", async () => {
    const boot = pyodide.pyimport("cocalc_compute_wasm.browser.boot");
    const [, report] = (await boot.start_kernel()).toJs({ dict_converter: Object.fromEntries });
    return report;
  });
  post({
    type: "ready",
    version,
    python: kernel.python,
    pyodide: pyodide.version,
    kernel,
    installed,
    crossOriginIsolated: self.crossOriginIsolated,
  });
}

self.addEventListener(
  "message",
  ({ data }) =>
    boot(data.config).catch((error) =>
      post({ type: "error", phase: error.phase ?? "worker", message: summarize(error) }),
    ),
  { once: true },
);
