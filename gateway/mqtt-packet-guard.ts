import type { Socket } from 'node:net';

/**
 * Closes a connection whose next MQTT packet declares more bytes than `maxRemaining` (issue 8: a PUBLISH
 * declaring 256 MB was buffered by the packet parser until complete, so a few clients could exhaust memory).
 * It follows the stream's fixed headers only (type byte, remaining-length varint) and skips bodies, so the cost
 * is per packet, not per byte. It listens to 'data', which aedes' `read()` loop emits, so it sees every chunk
 * before the parser does and destroys the socket before the oversized body is buffered.
 */
export function guardPacketSize(socket: Socket, maxRemaining: number, onOversize: (declared: number) => void): void {
  let state: 'header' | 'length' | 'body' = 'header';
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let skip = 0;
  const refuse = (declared: number) => {
    socket.off('data', onData);
    onOversize(declared);
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (state === 'body') {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        if (skip === 0) state = 'header';
      } else if (state === 'header') {
        i++;
        state = 'length';
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
      } else {
        const byte = chunk[i++]!;
        length += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        lengthBytes++;
        if (length > maxRemaining) return refuse(length);
        if ((byte & 0x80) === 0) {
          skip = length;
          state = skip > 0 ? 'body' : 'header';
        } else if (lengthBytes === 4) {
          return refuse(Infinity); // a fifth length byte is malformed; the parser would refuse it too
        }
      }
    }
  };
  socket.on('data', onData);
}
