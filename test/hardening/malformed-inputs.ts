import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { mulberry32 } from '../../src/clustering/neighbour-graph.js';
import { NOFACE_DIR, ONEFACE_DIR } from '../support/datasets.js';
import { DEMO_DIR } from '../helpers/harness.js';

export interface MalformedFile {
  kind: string;
  name: string;
  bytes: Uint8Array;
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid, tiny PNG file that declares `width` x `height` pixels: a decompression bomb. */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG whose SOF0 frame header is rewritten to declare `width` x `height`. */
export function jpegDeclaring(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  return out;
}

/** A JPEG with an APP1 Exif segment whose content is `payload` (corrupt EXIF). */
function jpegWithExif(jpeg: Buffer, payload: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), payload]);
  const seg = Buffer.alloc(4);
  seg[0] = 0xff;
  seg[1] = 0xe1;
  seg.writeUInt16BE(Math.min(body.length + 2, 0xffff), 2);
  return Buffer.concat([jpeg.subarray(0, 2), seg, body, jpeg.subarray(2)]);
}

/**
 * At least 200 malformed or awkward files, made from real photos and from
 * scratch: truncations, bit flips, random and zero bytes, decompression bombs,
 * SVG/PDF/HTML, polyglots, wrong extensions, corrupt EXIF, CMYK, 16-bit and
 * animated images. Some of them are valid images in disguise: the system may
 * store those, but must never crash or half-write anything.
 */
export async function malformedFiles(): Promise<MalformedFile[]> {
  const random = mulberry32(2026);
  const jpeg = await fs.readFile(path.join(DEMO_DIR, 'sample3.jpg'));
  // A 250 px portrait JPEG (as an lfw10 photo is), and a real 32-bit (RGBA) PNG.
  const small = await sharp(path.join(ONEFACE_DIR, 'astronaut.png')).resize(250).jpeg({ quality: 90 }).toBuffer();
  const png = await fs.readFile(path.join(NOFACE_DIR, 'horse.png'));
  const sources = [jpeg, small, png];
  const out: MalformedFile[] = [];
  const add = (kind: string, name: string, bytes: Uint8Array) => out.push({ kind, name, bytes });

  for (let i = 0; i < 65; i++) {
    const src = sources[i % sources.length];
    add('truncated', `truncated-${i}.jpg`, src.subarray(0, Math.floor(random() * src.length)));
  }
  for (let i = 0; i < 60; i++) {
    const src = Buffer.from(i % 2 ? small : png);
    const flips = 1 + Math.floor(random() * 20);
    for (let k = 0; k < flips; k++) src[Math.floor(random() * src.length)] ^= 1 << Math.floor(random() * 8);
    add('bit-flips', `flipped-${i}.${i % 2 ? 'jpg' : 'png'}`, src);
  }
  for (let i = 0; i < 30; i++)
    add(
      'random',
      `random-${i}.jpg`,
      Uint8Array.from({ length: 1 + Math.floor(random() * 50_000) }, () => Math.floor(random() * 256)),
    );
  add('zero', 'empty.jpg', new Uint8Array(0));
  for (const n of [1, 2, 100, 10_000]) add('zero', `zeros-${n}.png`, new Uint8Array(n));
  // Magic numbers with nothing behind them.
  for (const [n, magic] of Object.entries({
    jpg: [0xff, 0xd8, 0xff],
    png: [0x89, 0x50, 0x4e, 0x47],
    gif: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61],
    webp: [0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50],
  })) {
    add('magic-only', `magic.${n}`, Uint8Array.from(magic));
  }
  for (const [w, h] of [
    [50_000, 50_000],
    [65_535, 65_535],
    [200_000, 60_000],
    [1, 2_000_000_000],
  ])
    add('huge-dimensions', `bomb-${w}x${h}.png`, pngDeclaring(w, h));
  for (const [w, h] of [
    [60_000, 60_000],
    [65_535, 30_000],
  ])
    add('huge-dimensions', `bomb-${w}x${h}.jpg`, jpegDeclaring(small, w, h));
  add(
    'svg',
    'face.svg',
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><circle cx="100" cy="100" r="80"/></svg>'),
  );
  add(
    'svg',
    'laughs.svg',
    Buffer.from(
      `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>`,
    ),
  );
  add(
    'svg',
    'external.svg',
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>',
    ),
  );
  add(
    'svg',
    'huge.svg',
    Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200000" height="200000"><rect width="10" height="10"/></svg>'),
  );
  add(
    'pdf',
    'doc.pdf',
    Buffer.from(
      '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    ),
  );
  add('pdf', 'photo.jpg', Buffer.from('%PDF-1.7\n%âãÏÓ\n'));
  add('html', 'index.html', Buffer.from('<!doctype html><html><body><img src=x onerror=alert(1)></body></html>'));
  add('html', 'photo.png', Buffer.from('<html><script>fetch("/graphql")</script></html>'));
  add('text', 'notes.txt', Buffer.from('just some text\n'.repeat(100)));
  add('text', 'data.json', Buffer.from(JSON.stringify({ hello: 'world' })));
  add('polyglot', 'gifar.gif', Buffer.concat([Buffer.from('GIF89a/*'), Buffer.from('*/=1;alert(1)//'), Buffer.alloc(64)]));
  add('polyglot', 'jpeg-zip.jpg', Buffer.concat([small, Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]));
  add('polyglot', 'png-html.png', Buffer.concat([png, Buffer.from('<html><script>alert(1)</script></html>')]));
  add('polyglot', 'html-jpeg.html', Buffer.concat([Buffer.from('<html><!--'), small]));
  add('wrong-extension', 'really-a-png.jpg', png);
  add('wrong-extension', 'really-a-jpeg.png', small);
  add('wrong-extension', 'photo.exe', small);
  add('wrong-extension', 'noextension', small);
  add('wrong-extension', '../../../etc/passwd', small);
  for (const [i, payload] of [
    Buffer.alloc(0),
    Buffer.from('MM\0*\0\0\0\x08\xff\xff'),
    Buffer.from('II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x09\0'),
    Buffer.alloc(60_000, 0xff),
    Buffer.from('II*\0\xff\xff\xff\x7f'),
  ].entries()) {
    add('corrupt-exif', `exif-${i}.jpg`, jpegWithExif(small, payload));
  }
  add(
    'corrupt-exif',
    'orientation-99.jpg',
    await sharp(small)
      .withMetadata({ orientation: 8 })
      .jpeg()
      .toBuffer()
      .then((b) => {
        const i = b.indexOf(Buffer.from([0x01, 0x12]));
        if (i > 0) b[i + 8] = 99;
        return b;
      }),
  );
  add('cmyk', 'cmyk.jpg', await sharp(small).toColourspace('cmyk').jpeg().toBuffer());
  add('cmyk', 'cmyk.tif', await sharp(small).toColourspace('cmyk').tiff().toBuffer());
  add('16-bit', 'rgb16.png', await sharp(small).toColourspace('rgb16').png().toBuffer());
  add('16-bit', 'grey16.png', await sharp(small).toColourspace('grey16').png().toBuffer());
  add('16-bit', 'rgb16.tif', await sharp(small).toColourspace('rgb16').tiff().toBuffer());
  const frames = await Promise.all(
    [0, 1, 2].map((k) =>
      sharp(small)
        .resize(120 + k)
        .extract({ left: 0, top: 0, width: 120, height: 120 })
        .raw()
        .toBuffer(),
    ),
  );
  const strip = Buffer.concat(frames);
  add(
    'animated',
    'animated.gif',
    await sharp(strip, { raw: { width: 120, height: 360, channels: 3, pageHeight: 120 } })
      .gif({ loop: 0 })
      .toBuffer(),
  );
  add(
    'animated',
    'animated.webp',
    await sharp(strip, { raw: { width: 120, height: 360, channels: 3, pageHeight: 120 } })
      .webp({ loop: 0 })
      .toBuffer(),
  );
  add('other-format', 'grey.jpg', await sharp(small).greyscale().jpeg().toBuffer());
  // A legal panorama: 100,000 x 1 pixels, shrunk to a 1920 x 1 working copy (must not become 0 px tall).
  add(
    'other-format',
    'strip.png',
    await sharp({ create: { width: 100_000, height: 1, channels: 3, background: '#888' } })
      .png()
      .toBuffer(),
  );
  add(
    'other-format',
    'tiny.png',
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
  add('other-format', 'avif.avif', await sharp(small).avif({ effort: 0 }).toBuffer());
  add('other-format', 'palette.png', await sharp(small).png({ palette: true, colours: 16 }).toBuffer());
  return out;
}
