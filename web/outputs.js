// Jupyter outputs as DOM, as JupyterLab shows them: the richest MIME type of a bundle
// that this page can render, streams and tracebacks with their ANSI colours. HTML
// outputs and Markdown are trusted (the notebook's own, as in a trusted Jupyter
// notebook) and inserted as HTML; scripts in them do not run (innerHTML never runs them).
import { markdownToHtml } from "./editor.js";
import { el } from "./dom.js";

export const MIME_ORDER = ["text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg",
  "image/gif", "text/latex", "application/json", "text/plain"];


// JupyterLab's ANSI palette: normal, then bright.
const COLOURS = ["#3e424d", "#e75c58", "#00a250", "#ddb62b", "#208ffb", "#d160c4", "#60c6c8", "#c5c1b4",
  "#282c36", "#b22b31", "#007427", "#b27d12", "#0065ca", "#a03196", "#258f8f", "#a1a6b2"];

function colour256(n) {
  if (n < 16) return COLOURS[n];
  if (n >= 232) return `rgb(${Array(3).fill(8 + (n - 232) * 10).join(",")})`;
  const c = n - 16;
  const level = (v) => (v ? 55 + v * 40 : 0);
  return `rgb(${level(Math.floor(c / 36))},${level(Math.floor(c / 6) % 6)},${level(c % 6)})`;
}

/** Text with ANSI SGR escapes as spans with colours and weight (other escapes dropped). */
export function ansiToFragment(text) {
  const fragment = document.createDocumentFragment();
  let style = {};
  let at = 0;
  const add = (part) => {
    if (!part) return;
    if (!Object.keys(style).length) return fragment.append(part);
    const span = el("span", { textContent: part });
    Object.assign(span.style, style);
    fragment.append(span);
  };
  for (const match of text.matchAll(/\x1b\[([\d;]*)([A-Za-z])/g)) {
    add(text.slice(at, match.index));
    at = match.index + match[0].length;
    if (match[2] !== "m") continue;
    const codes = match[1] === "" ? [0] : match[1].split(";").map(Number);
    while (codes.length) {
      const code = codes.shift();
      if (code === 0) style = {};
      else if (code === 1) style.fontWeight = "bold";
      else if (code === 22) delete style.fontWeight;
      else if (code === 3) style.fontStyle = "italic";
      else if (code === 4) style.textDecoration = "underline";
      else if (code >= 30 && code <= 37) style.color = COLOURS[code - 30];
      else if (code >= 90 && code <= 97) style.color = COLOURS[code - 90 + 8];
      else if (code >= 40 && code <= 47) style.backgroundColor = COLOURS[code - 40];
      else if (code >= 100 && code <= 107) style.backgroundColor = COLOURS[code - 100 + 8];
      else if (code === 39) delete style.color;
      else if (code === 49) delete style.backgroundColor;
      else if (code === 38 || code === 48) {
        const key = code === 38 ? "color" : "backgroundColor";
        const mode = codes.shift();
        if (mode === 5) style[key] = colour256(codes.shift());
        if (mode === 2) style[key] = `rgb(${codes.splice(0, 3).join(",")})`;
      }
    }
    style = { ...style };
  }
  add(text.slice(at));
  return fragment;
}

const joined = (value) => (Array.isArray(value) ? value.join("") : String(value ?? ""));

function renderMime(mime, value) {
  const data = joined(value);
  switch (mime) {
    case "text/html":
      return el("div", { className: "html", innerHTML: data });
    case "text/markdown":
      return el("div", { className: "markdown", innerHTML: markdownToHtml(data) });
    case "image/svg+xml":
      return el("img", { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data)}` });
    case "image/png":
    case "image/jpeg":
    case "image/gif":
      return el("img", { src: `data:${mime};base64,${data.replace(/\s/g, "")}` });
    case "application/json":
      return el("pre", { className: "json", textContent: JSON.stringify(value, null, 2) });
    default: // text/plain, text/latex (no renderer bundled: its text)
      return el("pre", {}, ansiToFragment(data));
  }
}

/**
 * One output as DOM. `actions.stdin(value)` answers a prompt that waits (the runner's
 * `input_request` key), `actions.moreOutput()` fetches what the `more_output` marker
 * stands for.
 */
export function renderOutput(output, actions) {
  const box = el("div", { className: "output" });
  box.dataset.outputType = output.output_type;
  if (output.output_type === "stream") {
    box.dataset.name = output.name;
    box.append(el("pre", {}, ansiToFragment(joined(output.text))));
    if (output.input_request) box.firstChild.append(stdinBox(output.input_request, actions.stdin));
  } else if (output.output_type === "error") {
    const traceback = output.traceback?.length ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`;
    box.append(el("pre", {}, ansiToFragment(traceback)));
  } else if (output.data) {
    const mime = MIME_ORDER.find((m) => m in output.data) ?? Object.keys(output.data)[0];
    box.dataset.mime = mime ?? "";
    if (mime) box.append(renderMime(mime, output.data[mime]));
    if (output.more_output) {
      box.classList.add("more-output");
      const button = el("button", { textContent: "Fetch the rest", className: "more" });
      button.onclick = () => { button.disabled = true; actions.moreOutput(); };
      box.append(button);
    }
  } else {
    box.append(el("pre", { textContent: JSON.stringify(output, null, 2) }));
  }
  return box;
}

function stdinBox({ password }, answer) {
  const input = el("input", { type: password ? "password" : "text", className: "stdin", autocomplete: "off",
    size: 30 });
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    input.disabled = true;
    answer(input.value);
  });
  // take the keyboard unless a person is typing elsewhere
  queueMicrotask(() => input.isConnected && document.activeElement === document.body && input.focus());
  return input;
}
