/** A QuickTime movie's first boxes, as an iPhone writes a Live Photo's .mov (ftyp `qt  `, then `moov`). */
export function quickTimeHead(): Buffer {
  const ftyp = Buffer.alloc(20);
  ftyp.writeUInt32BE(20, 0);
  ftyp.write('ftypqt  ', 4, 'latin1');
  ftyp.write('qt  ', 16, 'latin1');
  const moov = Buffer.alloc(16);
  moov.writeUInt32BE(16, 0);
  moov.write('moovfree', 4, 'latin1');
  moov.writeUInt32BE(8, 8);
  moov.write('free', 12, 'latin1');
  return Buffer.concat([ftyp, moov, Buffer.alloc(64)]);
}
