// The notebook page's third-party code, bundled by build.py (esbuild) into app/editor.js:
// CodeMirror 6 for cell inputs and marked for Markdown, both pinned in package.json.
import { minimalSetup } from "codemirror";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { Annotation, Compartment, Prec } from "@codemirror/state";
import { bracketMatching, indentUnit } from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { marked } from "marked";

// Marks the changes that come from the document, so that they are not sent back.
const fromDocument = Annotation.define();

/**
 * An editor in `parent` holding `text`. `onEdit(before, after)` hears each change a
 * person makes (never those of setText); `keys` are extra CodeMirror key bindings.
 */
export function createEditor(parent, { text, python: isPython, onEdit, keys = [] }) {
  const language = new Compartment();
  const view = new EditorView({
    doc: text,
    parent,
    extensions: [
      minimalSetup,
      lineNumbers(),
      bracketMatching(),
      indentUnit.of("    "),
      language.of(isPython ? python() : []),
      Prec.highest(keymap.of(keys)),
      EditorView.lineWrapping,
      EditorView.updateListener.of((update) => {
        if (!update.docChanged || update.transactions.some((t) => t.annotation(fromDocument))) return;
        onEdit(update.startState.doc.toString(), update.state.doc.toString());
      }),
    ],
  });
  view.setPython = (on) => view.dispatch({ effects: language.reconfigure(on ? python() : []) });
  return view;
}

/** Make the editor hold `text` by the smallest change, so that the cursor stays put. */
export function setText(view, text) {
  const old = view.state.doc.toString();
  if (old === text) return;
  let start = 0;
  while (start < old.length && start < text.length && old[start] === text[start]) start++;
  let end = 0;
  while (end < old.length - start && end < text.length - start
    && old[old.length - 1 - end] === text[text.length - 1 - end]) end++;
  view.dispatch({
    changes: { from: start, to: old.length - end, insert: text.slice(start, text.length - end) },
    annotations: fromDocument.of(true),
  });
}

/** Markdown as HTML (GitHub flavour); LaTeX stays as its text: no renderer is bundled. */
export function markdownToHtml(text) {
  return marked.parse(text, { async: false });
}
