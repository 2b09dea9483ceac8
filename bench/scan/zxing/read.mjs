// read.mjs: zxing-cpp, as the npm package zxing-wasm (zxing-cpp compiled to
// WebAssembly), reads the QR code of each frame of the scan benchmark.
//
//   node read.mjs FILE.pgm...
//   node read.mjs --list LIST   (LIST: one PGM path a line)
//
// The first line printed is a JSON object with the versions; then one JSON
// line a frame, in order: {"file", "text" (null when nothing was read),
// "ms"}. ms is the time of readBarcodes alone, on the frame already in
// memory as RGBA. The reader's options are zxing-cpp's defaults (tryHarder,
// tryRotate, tryInvert, tryDownscale all on) with formats QRCode and one
// symbol wanted. It runs offline: the .wasm is read from node_modules,
// never fetched from a CDN.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  prepareZXingModule,
  readBarcodes,
  ZXING_CPP_COMMIT,
  ZXING_WASM_VERSION,
} from "zxing-wasm/reader";

const wasmPath = createRequire(import.meta.url).resolve("zxing-wasm/reader/zxing_reader.wasm");
const wasm = readFileSync(wasmPath);
await prepareZXingModule({
  overrides: {
    wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength),
    // The module still names its .wasm: name the local file, not the CDN's.
    locateFile: (path) => (path.endsWith(".wasm") ? wasmPath : path),
  },
  fireImmediately: true,
});

const options = {
  formats: ["QRCode"],
  tryHarder: true,
  tryRotate: true,
  tryInvert: true,
  maxNumberOfSymbols: 1,
};

// parsePGM reads a binary (P5) 8-bit PGM file.
function parsePGM(buf) {
  let pos = 0;
  const token = () => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]))) pos++;
      if (buf[pos] !== 0x23) break; // '#': a comment to the end of the line
      while (pos < buf.length && buf[pos] !== 0x0a) pos++;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    return buf.toString("latin1", start, pos);
  };
  if (token() !== "P5") throw new Error("not a binary PGM (P5)");
  const width = Number(token());
  const height = Number(token());
  const maxval = Number(token());
  pos++; // the one whitespace character before the pixels
  if (!(width > 0 && height > 0) || maxval !== 255 || buf.length < pos + width * height) {
    throw new Error(`bad PGM: ${width}x${height}, maxval ${maxval}`);
  }
  return { width, height, pixels: buf.subarray(pos, pos + width * height) };
}

function toImageData({ width, height, pixels }) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < pixels.length; i++, j += 4) {
    const v = pixels[i];
    data[j] = v;
    data[j + 1] = v;
    data[j + 2] = v;
    data[j + 3] = 255;
  }
  return { data, width, height };
}

let files = process.argv.slice(2);
if (files[0] === "--list") {
  files = readFileSync(files[1], "utf8").split("\n").filter((l) => l !== "");
}

console.log(
  JSON.stringify({ zxing_wasm: ZXING_WASM_VERSION, zxing_cpp_commit: ZXING_CPP_COMMIT, node: process.version }),
);

// A first read outside the measure, of the first frame: the module's first
// calls set things up and warm the WebAssembly up.
if (files.length > 0) {
  await readBarcodes(toImageData(parsePGM(readFileSync(files[0]))), options);
}

for (const file of files) {
  const out = { file, text: null, ms: 0 };
  try {
    const image = toImageData(parsePGM(readFileSync(file)));
    const start = performance.now();
    const results = await readBarcodes(image, options);
    out.ms = performance.now() - start;
    const ok = results.find((r) => r.isValid);
    if (ok) out.text = ok.text;
  } catch (e) {
    out.error = String(e?.message ?? e);
  }
  console.log(JSON.stringify(out));
}
