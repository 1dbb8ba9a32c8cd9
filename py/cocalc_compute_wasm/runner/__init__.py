"""The runner core: executes the cells collaborators ask to run (sans-IO, no clock).

The server elects one runner per notebook; it edits the notebook through its own
``NotebookDoc`` (a replica like any collaborator's) and drives one kernel through a host
(the Pyodide worker, or ``worker --native``). Like h11's ``Connection``, a ``Runner`` is fed
events and drained of actions; it does no IO, reads no clock and knows no asyncio, so the
same object runs in the browser and in CPython tests.

Driving it (the shell)::

    runner = Runner(doc)                      # doc: the runner's NotebookDoc
    on catch-up:      doc.catch_up(c); runner.doc_changed()          # None: rescan all
    on a record:      doc.receive(r); runner.doc_changed(changed ids)
    on kernel events: runner.execution_started() / kernel_event(ev, now) /
                      execution_finished(reply, now)
    on link control:  kernel.interrupt(); runner.interrupt()
                      runner.restart(now); kernel.restart()
                      runner.input_reply(text, now)
    on more_output:   answer runner.more_output(cell_id)
    after each:       run runner.take_actions() (Execute, SendInput) on the kernel;
                      send doc.take_outgoing(); wake up at runner.next_deadline() -> tick(now)

``now`` is server time in ms (the shell's clock corrected by the server's offset): it
becomes ``end``. The changed ids may come from ``doc.take_changes().cell_ids`` or, cheaper,
from the keys of the record's patch; passing unchanged ids is harmless.

Choices
-------
- **Input**: ``doc_changed(cell_ids)`` looks only at the cells named, so a keystroke costs
  O(1); ``doc_changed()`` (None) rescans everything and is for the first catch-up and
  resyncs. The queue is a heap by ``(start, id)`` (a missing start sorts last) with lazy
  deletion: a collaborator un-queueing a cell (state back to null/done) or moving its start
  is O(log n). A cell is queued exactly while its state is ``start``.
- **States**: the runner is IDLE or EXECUTING (one cell, sent as ``Execute``). Taking a
  cell writes ``run`` and clears output, exec_count and end; ``execution_started()`` (the
  kernel really began) writes ``busy``; ``execution_finished`` writes outputs, exec_count
  (the reply's), ``done`` and ``end`` in one patch. A markdown/raw cell asked to run goes
  to done without running (Jupyter does nothing for them).
- **Reconciling**: any ``run``/``busy`` cell the runner sees that is not its own running
  cell is set to done: the runner that set it is gone (only one runner is elected). This
  covers "stale cells at start" and late patches of a dead runner alike. ``end`` is left
  alone there: when they ended is unknown.
- **Halting**: an execution that does not end "ok" (error or aborted) sets every queued
  cell back to done, unless the failing cell was queued with ``no_halt`` (as CoCalc's
  ``no_halt`` run requests: their errors do not stop what follows). Halted cells keep
  their old outputs and ``end``. ``interrupt()`` halts the queue (the host raises
  KeyboardInterrupt in the running cell, which then finishes as usual); ``restart(now)``
  halts it, ends the running cell at once (done, end) and drops untaken actions; events
  arriving without an execution are ignored, but the host must stop reporting the old
  kernel's events after a restart (events carry no execution id).
- **Asked again while running**: the cell is queued again and its ``start`` stays visible
  (the runner writes no busy/done over it); it runs again after the current execution.
- **Writes**: each write is one ``Patch`` of partial cell records on the doc's replica
  (``doc.take_outgoing()`` sends them): output keys are set one by one, so appending
  output n sends output n only. A cell deleted meanwhile is never written (a partial
  record would resurrect a ghost). Outputs are diffed against the doc, so a
  collaborator's "clear output" of the running cell is overwritten whole, without holes.
- **Outputs**: consecutive plain streams of one name merge into one output (stream text is
  kept in chunks and joined per write, linear in the output). The first output patch of
  an execution goes out at once; after that a cell gets at most one output patch per
  ``OUTPUT_INTERVAL_MS`` (50 ms: 20 a second); what comes sooner waits for ``tick`` at
  ``next_deadline()``. The final patch, a stdin prompt and its answer go out at once.
- **Clearing**: ``ClearOutput(wait=False)`` clears now; ``wait=True`` clears right before
  the next output (or prompt); if none comes, the outputs stay (as in JupyterLab).
  Clearing also resets the limit and forgets the cell's kept overflow.
- **Display updates** replace data and metadata of every output shown with that display
  id: in the running cell, in finished cells (found through an index kept up to date by
  ``doc_changed`` and by the runner's own writes; the id is stored as
  ``transient.display_id``, which export drops) and in kept overflow. Updates of finished
  cells are coalesced at the same rate and skipped where a collaborator cleared the
  output meanwhile. Display updates reach cells while idle too (a background thread).
- **max_output_length** (settings; default ``DEFAULT_MAX_OUTPUT_LENGTH``; a non-negative
  int, anything else means the default) bounds the characters a cell *adds*, counted by
  ``outputs.output_size``: the characters of the strings in text, data, ename, evalue and
  traceback (non-string JSON scalars as their JSON text; metadata and keys free). A
  stream that crosses the limit is cut at it; the rest of it and every later output go
  to the runner's ``Overflow`` and ONE marker output stands for them: a display_data with
  ``"more_output": true`` and the text "Output truncated: N more characters — fetch the
  rest", N kept current. ``more_output(cell_id)`` returns the kept outputs, streams
  merged. Display updates replace in place and are not measured.
- **Overflow bound**: ``DEFAULT_MORE_OUTPUT_LIMIT`` (16 M characters) for all cells
  together; past it the oldest kept outputs go first, and ``more_output`` then starts
  with a stderr note saying how many characters of that cell were discarded. A cell's
  kept outputs are forgotten when it runs again, clears its output, or is deleted.
- **stdin**: ``InputRequest`` appends a stdout stream of the prompt with an extra
  ``"input_request": {"password": bool}`` (exempt from the limit: the page must see it);
  ``input_reply(text, now)`` turns it into prompt + reply (``········`` for a password)
  + newline and emits ``SendInput(text)``; a reply with no prompt waiting is dropped. An
  execution that ends with a prompt unanswered keeps the prompt and a newline. Both
  extra keys are dropped by export, so the .ipynb stays valid nbformat.
- Kernel outputs must be JSON data (the doc's patches check it); their multiline strings
  joined, as in the document.

Modules: ``runner`` (Runner), ``actions`` (Execute, SendInput), ``execution`` (the
running cell's outputs), ``outputs`` (sizes, merging, marker and prompt outputs),
``overflow`` (kept output past the limit), ``run_queue`` (the queue).
"""

from .actions import Action, Execute, SendInput
from .outputs import INPUT_REQUEST, MORE_OUTPUT, PASSWORD_MASK, output_size
from .overflow import DEFAULT_MORE_OUTPUT_LIMIT
from .runner import OUTPUT_INTERVAL_MS, Runner, RunnerState

__all__ = [
    "DEFAULT_MORE_OUTPUT_LIMIT",
    "INPUT_REQUEST",
    "MORE_OUTPUT",
    "OUTPUT_INTERVAL_MS",
    "PASSWORD_MASK",
    "Action",
    "Execute",
    "Runner",
    "RunnerState",
    "SendInput",
    "output_size",
]
