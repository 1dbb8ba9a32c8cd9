// The notebook page's main thread: draws what the notebook worker (notebook-worker.js,
// our Python client in Pyodide) posts and forwards what a person does. The page is
// served at {base}{project}/files/<path>.ipynb with <base> at the compute page's folder.
import { fetchConfig } from "./compute.js";
import { moduleWorker } from "./module-worker.js";
import { createEditor, markdownToHtml, setText } from "./editor.js";
import { renderOutput } from "./outputs.js";
import { el } from "./dom.js";

const $ = (id) => document.getElementById(id);

// For people and for headless drivers (the tests): what the page knows now.
const state = { connection: "connecting", presence: null, order: [], ready: false, error: null, problems: [],
  done: {} };
window.cocalcNotebook = state;

const base = new URL(document.baseURI);
const projectId = base.pathname.split("/").at(-3);
const config = await fetchConfig(new URL("../../", base), projectId).catch((error) => {
  state.error = { message: error.message };
  $("status").textContent = `Cannot load the page's configuration: ${error.message}`;
  throw error;
});
const filesRoot = `${config.basePath}${projectId}/files/`;
const path = decodeURIComponent(location.pathname.slice(filesRoot.length));
document.title = `${path.split("/").at(-1)} — notebook`;
$("title").textContent = path;
$("files-link").href = filesRoot + path.split("/").slice(0, -1).map((d) => `${encodeURIComponent(d)}/`).join("");

const worker = moduleWorker(new URL("notebook-worker.js", base));
const send = (message) => worker.postMessage(message);

// --- cells ----------------------------------------------------------------------------

const cells = new Map(); // id -> {node, editor, view, sent, acked, outputsKey, extra}
let focused = null; // the id of the cell a person worked in last
let pendingFocus = false; // a cell this page asked for gets the keyboard when it comes

function runCell(cell) {
  if (cell.view.cell_type === "markdown") {
    cell.node.classList.remove("editing");
  } else {
    send({ op: "run", ids: [cell.view.id] });
  }
}

function focusNext(cell) {
  const next = state.order[state.order.indexOf(cell.view.id) + 1];
  if (next) cells.get(next).editor.focus();
  else { pendingFocus = true; send({ op: "insert", after: cell.view.id, cell_type: "code" }); }
}

function makeCell(view) {
  const prompt = el("div", { className: "prompt" });
  const runState = el("span", { className: "run-state" });
  const button = (text, title, action) => {
    const b = el("button", { textContent: text, title });
    b.onclick = action;
    return b;
  };
  const type = el("select", { title: "cell type" },
    ...["code", "markdown", "raw"].map((t) => el("option", { value: t, textContent: t })));
  const input = el("div", { className: "input" });
  const rendered = el("div", { className: "rendered" });
  const outputs = el("div", { className: "outputs" });
  const node = el("div", { className: "cell" }, prompt,
    el("div", { className: "cell-body" },
      el("div", { className: "tools" }, runState,
        button("▶ Run", "run (Shift+Enter)", () => runCell(cell)),
        button("↑", "move up", () => send({ op: "move", id: cell.view.id, step: -1 })),
        button("↓", "move down", () => send({ op: "move", id: cell.view.id, step: 1 })),
        type,
        button("+", "add a cell below", () => send({ op: "insert", after: cell.view.id, cell_type: "code" })),
        button("✕", "delete", () => send({ op: "delete", id: cell.view.id }))),
      input, rendered, outputs));
  const cell = { node, prompt, runState, type, rendered, outputs, view, sent: 0, acked: 0, outputsKey: null, extra: null };
  node.dataset.id = view.id;
  type.onchange = () => send({ op: "cell_type", id: cell.view.id, cell_type: type.value });
  rendered.ondblclick = () => { node.classList.add("editing"); cell.editor.focus(); };
  cell.editor = createEditor(input, {
    text: view.input,
    python: view.cell_type === "code",
    onEdit(before, after) {
      cell.sent += 1;
      send({ op: "input", id: cell.view.id, number: cell.sent, before, after });
    },
    keys: [
      { key: "Shift-Enter", run: () => { runCell(cell); focusNext(cell); return true; } },
      { key: "Ctrl-Enter", run: () => { runCell(cell); return true; } },
      { key: "Escape", run: () => { cell.editor.contentDOM.blur(); return true; } },
    ],
  });
  cell.editor.contentDOM.addEventListener("focus", () => { focused = cell.view.id; });
  return cell;
}

const RUN_STATES = { start: "queued", run: "queued", busy: "running", done: "done" };

function drawCell(cell, view) {
  const typeChanged = cell.view.cell_type !== view.cell_type;
  cell.view = view;
  const { node } = cell;
  node.dataset.type = view.cell_type;
  node.dataset.state = view.state ?? "";
  cell.type.value = view.cell_type;
  if (typeChanged) cell.editor.setPython(view.cell_type === "code");
  if (cell.sent <= cell.acked) setText(cell.editor, view.input);
  const code = view.cell_type === "code";
  const runState = code ? RUN_STATES[view.state] ?? "" : "";
  cell.runState.textContent = runState;
  cell.runState.dataset.state = runState;
  cell.prompt.textContent = !code ? "" : runState === "running" ? "In [*]:" : runState === "queued"
    ? "In [ ]:" : `In [${view.exec_count ?? " "}]:`;
  if (view.cell_type === "markdown") {
    cell.rendered.classList.toggle("empty", !view.input.trim());
    cell.rendered.innerHTML = view.input.trim() ? markdownToHtml(view.input) : "Empty Markdown cell: double-click to edit";
  }
  drawOutputs(cell);
}

function drawOutputs(cell) {
  const outputs = cell.view.cell_type === "code" ? cell.view.outputs : [];
  const key = JSON.stringify(outputs);
  if (key === cell.outputsKey) return;
  if (cell.outputsKey !== null) cell.extra = null; // the marker went with the outputs it stood for
  cell.outputsKey = key;
  const id = cell.view.id;
  const actions = {
    stdin: (value) => send({ op: "stdin", id, value }),
    moreOutput: () => send({ op: "more_output", id }),
  };
  cell.outputs.replaceChildren(...outputs.flatMap((output) =>
    output.more_output && cell.extra ? cell.extra.map((o) => renderOutput(o, actions)) : [renderOutput(output, actions)]));
}

function onCells(message) {
  for (const [id, number] of Object.entries(message.acks)) {
    const cell = cells.get(id);
    if (!cell) continue;
    cell.acked = Math.max(cell.acked, number);
    if (cell.sent <= cell.acked && !(id in message.cells)) setText(cell.editor, cell.view.input);
  }
  if (message.full) {
    for (const id of cells.keys()) if (!(id in message.cells)) message.removed.push(id);
  }
  for (const id of message.removed) {
    cells.get(id)?.node.remove();
    cells.delete(id);
  }
  const created = [];
  for (const [id, view] of Object.entries(message.cells)) {
    if (!cells.has(id)) {
      cells.set(id, makeCell(view));
      created.push(id);
    }
    drawCell(cells.get(id), view);
  }
  if (message.order) state.order = message.order;
  $("cells").replaceChildren(...state.order.map((id) => cells.get(id).node));
  if (!message.full && created.length === 1 && pendingFocus) {
    pendingFocus = false;
    const cell = cells.get(created[0]);
    cell.node.classList.add("editing");
    cell.editor.focus();
  }
  $("status").hidden = true;
  state.readyMs ??= performance.now(); // from navigation to the cells drawn
  state.ready = true;
}

// --- who is here ----------------------------------------------------------------------

function onPresence(presence) {
  state.presence = presence;
  const { runner, kernel } = presence;
  $("no-worker").hidden = Boolean(runner);
  const badge = $("kernel");
  badge.dataset.kernel = runner ? kernel ?? "starting" : "none";
  badge.textContent = runner ? `${runner.flavour} worker, kernel ${kernel ?? "starting"}` : "no worker attached";
  $("worker").dataset.flavour = runner?.flavour ?? "";
  const people = presence.participants.filter((p) => p.kind === "collaborator");
  const others = people.length - people.filter((p) => p.you).length;
  $("people").textContent = `Here: you${others ? ` and ${others} other collaborator${others === 1 ? "" : "s"}` : ""}`;
  $("people").title = presence.participants.map((p) => `${p.client_id}${p.you ? " (you)" : ""}`).join("\n");
}

function problem(text) {
  state.problems.push(text);
  $("problems").append(el("p", { textContent: text }));
  while ($("problems").childElementCount > 3) $("problems").firstElementChild.remove();
}

// --- the worker ---------------------------------------------------------------------------

worker.addEventListener("message", ({ data }) => {
  switch (data.type) {
    case "cells": return onCells(data);
    case "presence": return onPresence(data);
    case "connection": {
      state.connection = data.state;
      $("connection").dataset.state = data.state;
      $("connection").textContent = { connected: "Connected", connecting: "Connecting…",
        reconnecting: `Reconnecting: ${data.detail}`, stopped: `Stopped: ${data.detail}` }[data.state] ?? data.state;
      return;
    }
    case "more_output": {
      const cell = cells.get(data.id);
      if (cell) { cell.extra = data.outputs; cell.outputsKey = null; drawOutputs(cell); }
      return;
    }
    case "problem": return problem(`${data.op}: ${data.message}`);
    case "done":
      state.done[data.op] = (state.done[data.op] ?? 0) + 1;
      return;
    case "phase":
      if (!state.ready) $("status").textContent = `Loading: ${data.detail ?? data.phase}…`;
      return;
    case "error": {
      state.error = data;
      $("status").hidden = false;
      $("status").textContent = data.needsKey
        ? `This browser has no valid key for the project: ${data.message}. Reload the page to log in.`
        : `Cannot open the notebook (${data.phase ?? "connect"}): ${data.message}`;
      return;
    }
  }
});
worker.addEventListener("error", (event) => {
  state.error = { message: event.message };
  $("status").textContent = `The notebook worker failed: ${event.message || "it did not load"}`;
});

$("run-all").onclick = () => send({ op: "run_all" });
$("interrupt").onclick = () => send({ op: "interrupt" });
$("restart").onclick = () => send({ op: "restart" });
for (const [button, type] of [["add-code", "code"], ["add-markdown", "markdown"]]) {
  $(button).onclick = () => {
    pendingFocus = true;
    send({ op: "insert", after: focused && cells.has(focused) ? focused : state.order.at(-1), cell_type: type });
  };
}
send({ config, path });
