// A module worker from any URL. Browsers run workers only from the page's own origin;
// for a script on another origin (a web app embedding the compute page's modules), a
// same-origin blob that imports it does the same job, given CORS on the script.
export function moduleWorker(url) {
  const target = new URL(url);
  if (target.origin === self.location.origin) return new Worker(target, { type: "module" });
  const source = `import ${JSON.stringify(target.href)};`;
  const blob = new Blob([source], { type: "text/javascript" });
  return new Worker(URL.createObjectURL(blob), { type: "module" });
}
