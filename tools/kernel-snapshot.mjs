// Make the kernel worker's Pyodide memory snapshot (build.py runs this with Node).
//
//   node tools/kernel-snapshot.mjs <pyodide core dir> <wheels dir> <out file> <wheel>...
//
// Boots the served Pyodide core, unpacks the kernel's boot wheels into site-packages,
// imports what a kernel imports at start (IPython, our kernel) and saves the wasm memory.
// A kernel worker restored from it skips all of that except unpacking the wheels'
// files again: the file system lives in JavaScript, not in the snapshot. Uses Pyodide's
// private snapshot API (`_makeSnapshot`), which ties the file to this exact wasm build.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [coreDir, wheelsDir, outFile, ...wheels] = process.argv.slice(2);
if (!outFile || !wheels.length) {
  console.error("usage: kernel-snapshot.mjs <pyodide dir> <wheels dir> <out file> <wheel>...");
  process.exit(2);
}
const indexURL = resolve(coreDir) + "/"; // Node's Pyodide wants a path, not a file: URL
const { loadPyodide } = await import(pathToFileURL(join(indexURL, "pyodide.mjs")).href);
// The same config as a kernel worker's loadPyodide (Pyodide's defaults) but for the flag.
const pyodide = await loadPyodide({ indexURL, _makeSnapshot: true });
const bootHeap = pyodide._module.HEAP8.length;
const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
for (const wheel of wheels) {
  const data = new Uint8Array(readFileSync(join(wheelsDir, wheel)));
  pyodide.unpackArchive(data, "wheel", { extractDir: sitePackages });
}
const report = pyodide.runPython(`
import importlib, json, sys
importlib.invalidate_caches()
import IPython, cocalc_compute_wasm.kernel.kernel, cocalc_compute_wasm.browser.kernel_side
import cocalc_compute_wasm.browser.restored
# A C extension loaded now would be missing from a restored runtime (its code is linked
# in by JavaScript, outside the snapshot).
native = sorted(name for name, module in sys.modules.items()
                if str(getattr(module, "__file__", "")).endswith(".so"))
json.dumps({"native": native, "modules": len(sys.modules)})
`);
const { native, modules } = JSON.parse(report);
if (native.length) {
  console.error(`C extensions imported before the snapshot: ${native.join(", ")}`);
  process.exit(1);
}
// A restore copies the snapshot into a runtime's memory as it boots, which it does not
// grow: imports that grew the memory make a snapshot no worker can use.
const heap = pyodide._module.HEAP8.length;
if (heap > bootHeap) {
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  console.error(
    `the imports grew the wasm memory from ${mib(bootHeap)} to ${mib(heap)}: a restore ` +
      "could not hold it; import less before the snapshot (see cocalc_compute_wasm.browser.kernel_side)",
  );
  process.exit(1);
}
// Packages the snapshot "remembers" as loaded would be skipped by loadPackage after a
// restore, but their files are not in it: forget them.
for (const name of Object.keys(pyodide.loadedPackages)) delete pyodide.loadedPackages[name];
const snapshot = pyodide.makeMemorySnapshot();
writeFileSync(outFile, snapshot);
console.log(JSON.stringify({ bytes: snapshot.length, modules }));
