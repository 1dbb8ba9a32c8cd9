// The compute worker's end of a kernel's file link. A kernel reads the project's files
// synchronously: its Python (websocketfs/remote.py) posts SFTP packets here and blocks on
// the kernel's "files slot" until the replies are in it. This carries the packets over a
// websocket to the project's WebSocketFS and writes the replies into the slot, in parts
// when they do not fit. Packets are opaque here; each whole packet carries its own length.
//
// Slot: an Int32 header [state (0 free, 1 full), exchange id, count, byte length], then
// the bytes of `count` whole reply packets; count -1 means the link failed and the bytes
// say why.

export const FILES_SLOT_BYTES = 4 << 20;
export const FILES_HEADER_BYTES = 16;
export const KEY_SUBPROTOCOL = "cocalc-api-key.";

const encoder = new TextEncoder();
let access = null;

/** Where and how kernels' file links connect; the compute worker's Python sets it when
 * it joins the project (a key typed into the page travels as a subprotocol, since a
 * browser cannot set headers on a websocket; without one, the cookie goes). */
export function setFilesAccess(url, apiKey) {
  const key = apiKey ? btoa(String.fromCharCode(...encoder.encode(apiKey))) : null;
  const subprotocol = key && KEY_SUBPROTOCOL + key.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  access = { url, protocols: subprotocol ? [subprotocol] : [] };
}

export function filesRelay(slot) {
  const header = new Int32Array(slot, 0, 4);
  const room = new Uint8Array(slot, FILES_HEADER_BYTES);
  let socket = null;
  let unsent = [];
  const expected = []; // {id, left, replies} in the order their packets went out
  const parts = []; // {id, count, bytes} waiting for the slot
  let pumping = false;

  function connect() {
    const ws = new WebSocket(access.url, access.protocols);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      for (const packet of unsent.splice(0)) ws.send(packet);
    };
    ws.onmessage = ({ data }) => received(new Uint8Array(data));
    ws.onclose = ({ code, reason }) => {
      if (socket !== ws) return;
      socket = null;
      unsent = [];
      failAll(`the project's file link closed (${code}${reason ? ` ${reason}` : ""})`);
    };
    return ws;
  }

  function received(reply) {
    const batch = expected[0];
    if (!batch) return;
    batch.replies.push(reply);
    if (--batch.left === 0) {
      expected.shift();
      deliver(batch.id, batch.replies);
    }
  }

  function failAll(why) {
    for (const batch of expected.splice(0)) fail(batch.id, why);
  }

  function fail(id, why) {
    parts.push({ id, count: -1, bytes: encoder.encode(why) });
    pump();
  }

  // A batch's replies go out in parts that fit the slot (a reply, at most 1 MiB of data,
  // always fits), copied straight into it by pump().
  function deliver(id, replies) {
    let first = 0;
    do {
      let last = first;
      let size = 0;
      while (last < replies.length && size + replies[last].length <= room.length) {
        size += replies[last++].length;
      }
      if (last === first && first < replies.length) return fail(id, "a reply larger than the slot");
      parts.push({ id, count: last - first, replies: replies.slice(first, last), size });
      first = last;
    } while (first < replies.length);
    pump();
  }

  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      while (parts.length) {
        const wait = Atomics.waitAsync(header, 0, 1);
        if (wait.async) await wait.value;
        const { id, count, replies, bytes, size } = parts.shift();
        if (bytes) room.set(bytes);
        let at = 0;
        for (const reply of replies ?? []) {
          room.set(reply, at);
          at += reply.length;
        }
        header[1] = id;
        header[2] = count;
        header[3] = bytes ? bytes.length : size;
        Atomics.store(header, 0, 1);
        Atomics.notify(header, 0);
      }
    } finally {
      pumping = false;
    }
  }

  return {
    /** One exchange from the kernel: `{id, packets}`. */
    carry({ id, packets }) {
      if (!access) return fail(id, "the compute worker has not joined the project yet");
      if (packets.length === 0) return deliver(id, []);
      socket ??= connect();
      expected.push({ id, left: packets.length, replies: [] });
      for (const packet of packets) {
        if (socket.readyState === WebSocket.OPEN) socket.send(packet);
        else unsent.push(packet);
      }
    },
    close() {
      const ws = socket;
      socket = null;
      ws?.close(1000, "the kernel ended");
    },
  };
}
