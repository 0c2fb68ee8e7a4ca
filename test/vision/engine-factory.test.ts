/** FACEGRAPH_ENGINE picks the engine. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../../src/vision/engine-factory.js';
import { OnnxEngine } from '../../src/vision/onnx/run/onnx-engine.js';
import { TfjsEngine } from '../../src/vision/tfjs-engine.js';

test('onnx builds the ONNX Runtime engine and tfjs the reference engine', () => {
  const onnx = createEngine({ engine: 'onnx', threads: 1 });
  assert.ok(onnx instanceof OnnxEngine);
  assert.equal(onnx.name, 'onnx');
  const tfjs = createEngine({ engine: 'tfjs', threads: 1 });
  assert.ok(tfjs instanceof TfjsEngine);
  assert.equal(tfjs.name, 'tfjs');
});
